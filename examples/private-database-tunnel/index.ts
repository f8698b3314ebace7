/**
 * A database and its application user, made in a private RDS for MySQL instance through an SSM
 * tunnel: `aws.Tunnel` forwards a local port through a managed node in the database's VPC (the
 * "bastion") to the RDS endpoint, for as long as the Pulumi command runs, and the downstream
 * resource connects to `tunnel.host`/`tunnel.port` with mysql2. The database keeps its private
 * endpoint; nobody opens a port or runs session-manager-plugin by hand.
 *
 * Config (namespace `private-database-tunnel`):
 *   bastionTarget   the managed node to forward through (i-... or mi-..., SSM Agent online)
 *   dbHost          the RDS endpoint as the node resolves it, e.g. app.xxxx.eu-west-1.rds.amazonaws.com
 *   dbPort          the endpoint's port (default 3306)
 *   adminUser       an account that may create databases and users; adminPassword (secret)
 *   databaseName    the database to make (default "app")
 *   appUser         its user, granted everything on it (default "app"); appPassword (secret)
 */
import * as pulumi from "@pulumi/pulumi";
import { aws } from "pulumi-sessions";

const config = new pulumi.Config();

/** Open whenever the engine calls a resource that uses it: up (its deletes too), refresh, destroy. */
const tunnel = new aws.Tunnel("rds", {
  target: config.require("bastionTarget"),
  remoteHost: config.require("dbHost"),
  remotePort: config.getNumber("dbPort") ?? 3306,
});

interface AppDatabaseInputs {
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  database: string;
  user: string;
  password: string;
}

/** An admin connection through the endpoint the resource was given (the tunnel's). */
async function connect(inputs: AppDatabaseInputs) {
  // Loaded here, not at the top: the dynamic provider is serialized with this function.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mysql = require("mysql2/promise");
  return mysql.createConnection({
    host: inputs.host,
    port: inputs.port,
    user: inputs.adminUser,
    password: inputs.adminPassword,
  });
}

/** A database and a user that owns it; delete drops both. */
const appDatabaseProvider: pulumi.dynamic.ResourceProvider<AppDatabaseInputs, AppDatabaseInputs> = {
  async create(inputs) {
    const db = await connect(inputs);
    try {
      await db.query(`CREATE DATABASE \`${inputs.database}\``);
      await db.query("CREATE USER ?@'%' IDENTIFIED BY ?", [inputs.user, inputs.password]);
      await db.query(`GRANT ALL ON \`${inputs.database}\`.* TO ?@'%'`, [inputs.user]);
    } finally {
      await db.end();
    }
    return { id: inputs.database, outs: inputs };
  },
  async read(id, props) {
    const db = await connect(props!);
    try {
      const [rows] = await db.query(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        [id],
      );
      // Dropped out of band: refresh removes it from the state.
      return (rows as unknown[]).length ? { id, props } : { id: "", props };
    } finally {
      await db.end();
    }
  },
  async delete(id, props) {
    const db = await connect(props);
    try {
      await db.query(`DROP DATABASE IF EXISTS \`${id}\``);
      await db.query("DROP USER IF EXISTS ?@'%'", [props.user]);
    } finally {
      await db.end();
    }
  },
};

class AppDatabase extends pulumi.dynamic.Resource {
  constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    // The passwords stay secrets in the state, as they are in the config.
    super(appDatabaseProvider, name, args, {
      ...opts,
      additionalSecretOutputs: ["adminPassword", "password"],
    });
  }
}

const app = new AppDatabase("app", {
  host: tunnel.host,
  port: tunnel.port,
  adminUser: config.require("adminUser"),
  adminPassword: config.requireSecret("adminPassword"),
  database: config.get("databaseName") ?? "app",
  user: config.get("appUser") ?? "app",
  password: config.requireSecret("appPassword"),
});

export const database = app.id;
/** The local end the tunnel listens on while a command runs (kept across runs). */
export const tunnelEndpoint = tunnel.endpoint;
