/**
 * `bench:count` databases made with mysql2, through an `aws.Tunnel` (`bench:mode` "tunnel") or
 * straight to the server ("direct"). Each create appends the epoch ms its first query answered
 * to `bench:marks`, so the bench can time `pulumi up` start -> first byte through the tunnel.
 */
import * as pulumi from "@pulumi/pulumi";
import { aws } from "pulumi-sessions";

const config = new pulumi.Config("bench");
const dbPort = config.requireNumber("dbPort");
const endpoint =
  config.require("mode") === "tunnel"
    ? (() => {
        const tunnel = new aws.Tunnel("db", { target: config.require("target"), remotePort: dbPort });
        return { host: tunnel.host, port: tunnel.port };
      })()
    : { host: "127.0.0.1", port: dbPort };

interface DatabaseInputs {
  host: string;
  port: number;
  user: string;
  password: string;
  name: string;
  marks: string;
}

async function run(inputs: DatabaseInputs, sql: string, mark: boolean): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mysql = require("mysql2/promise");
  const db = await mysql.createConnection({
    host: inputs.host,
    port: inputs.port,
    user: inputs.user,
    password: inputs.password,
  });
  try {
    await db.query(sql);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (mark) require("node:fs").appendFileSync(inputs.marks, `${Date.now()}\n`);
  } finally {
    await db.end();
  }
}

const provider: pulumi.dynamic.ResourceProvider<DatabaseInputs, DatabaseInputs> = {
  async create(inputs) {
    await run(inputs, `CREATE DATABASE \`${inputs.name}\``, true);
    return { id: inputs.name, outs: inputs };
  },
  async delete(id, props) {
    await run(props, `DROP DATABASE IF EXISTS \`${id}\``, false);
  },
};

class Database extends pulumi.dynamic.Resource {
  constructor(name: string, args: pulumi.Inputs) {
    super(provider, name, args, {});
  }
}

const prefix = config.require("prefix");
for (let i = 0; i < config.requireNumber("count"); i++) {
  new Database(`db${i}`, {
    ...endpoint,
    user: config.require("dbUser"),
    password: config.requireSecret("dbPassword"),
    name: `${prefix}_${i}`,
    marks: config.require("marks"),
  });
}
