/**
 * A tunnel as users write it, and downstream resources that reach a MySQL server through it only.
 *
 * Config (namespace `e2e`):
 *   cloud         aws | alicloud
 *   target        the managed node (aws) or ECS instance (alicloud) the session runs on
 *   dbPort        the database's port, as the node sees it
 *   dbUser        an account that may create databases and users; e2e:dbPassword (secret)
 *   databases     how many Database resources (default 1), created in parallel
 *   failAt        optional: the Database with this index fails its create
 *   holdMs        optional: each create waits this long first (to interrupt an up mid-way)
 *   gate          optional: a folder; every Database writes <op>.<name>.done there once a create,
 *                 read or delete is over, and the one with index gateAt (default 1) holds each
 *                 before it connects: it writes <op>.waiting and waits for <op>.go (so a test acts
 *                 between two downstream operations)
 *   sleepMs       optional: the gated Database, once connected, writes <op>.querying and runs a
 *                 query this long (so a test acts mid-query)
 *   localPort     optional: the tunnel's local port
 *   openOnPreview optional: "true"
 * Provider config: the stack's aws:* / alicloud:* keys and sessions:localCloud.
 */
import * as pulumi from "@pulumi/pulumi";
import { alicloud, aws } from "pulumi-sessions";

const config = new pulumi.Config("e2e");
const localPort = config.getNumber("localPort");
const openOnPreview = config.getBoolean("openOnPreview");

const tunnel =
  config.require("cloud") === "aws"
    ? new aws.Tunnel("db", {
        target: config.require("target"),
        remotePort: config.requireNumber("dbPort"),
        localPort,
        openOnPreview,
      })
    : new alicloud.Tunnel("db", {
        instanceId: config.require("target"),
        targetServer: "rm-e2e.mysql.rds.aliyuncs.com",
        portNumber: config.requireNumber("dbPort"),
        localPort,
        openOnPreview,
      });

interface DatabaseInputs {
  host: string;
  port: number;
  user: string;
  password: string;
  name: string;
  fail: boolean;
  holdMs: number;
  /** The gate folder (empty: none). */
  gate: string;
  /** This one waits at the gate. */
  gated: boolean;
  sleepMs: number;
}

type Op = "create" | "read" | "delete";

/** Runs `work` on a connection to the endpoint in `props`, then closes it (through the gate, if any). */
async function withDb<T>(
  props: DatabaseInputs,
  op: Op,
  work: (db: { query(sql: string, values?: unknown[]): Promise<[unknown]> }) => Promise<T>,
): Promise<T> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const mysql = require("mysql2/promise");
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const mark = (what: string) => fs.writeFileSync(path.join(props.gate, `${op}.${what}`), "");
  if (props.gated) {
    mark("waiting");
    while (!fs.existsSync(path.join(props.gate, `${op}.go`))) await new Promise((r) => setTimeout(r, 50));
  }
  const { host, port, user, password } = props;
  const db = await mysql.createConnection({ host, port, user, password });
  let result: T;
  try {
    if (props.gated && props.sleepMs) {
      mark("querying");
      await db.query("SELECT SLEEP(?)", [props.sleepMs / 1000]);
    }
    result = await work(db);
  } finally {
    await db.end();
  }
  if (props.gate) mark(`${props.name}.done`);
  return result;
}

/** A database and a user of the same name, made and dropped through the endpoint it is given. */
const databaseProvider: pulumi.dynamic.ResourceProvider<DatabaseInputs, DatabaseInputs> = {
  async create(inputs) {
    if (inputs.holdMs) await new Promise((r) => setTimeout(r, inputs.holdMs));
    if (inputs.fail) throw new Error(`database ${inputs.name}: failing as configured (e2e:failAt)`);
    await withDb(inputs, "create", async (db) => {
      await db.query(`CREATE DATABASE \`${inputs.name}\``);
      await db.query(`CREATE USER '${inputs.name}'@'%' IDENTIFIED BY 'pw-${inputs.name}'`);
    });
    return { id: inputs.name, outs: inputs };
  },
  async read(id, state) {
    const props = state!;
    const [rows] = await withDb(props, "read", (db) =>
      db.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [id]),
    );
    return (rows as unknown[]).length ? { id, props } : { id: "", props };
  },
  async delete(id, props) {
    await withDb(props, "delete", async (db) => {
      await db.query(`DROP DATABASE IF EXISTS \`${id}\``);
      await db.query(`DROP USER IF EXISTS '${id}'@'%'`);
    });
  },
};

class Database extends pulumi.dynamic.Resource {
  constructor(name: string, args: pulumi.Inputs) {
    super(databaseProvider, name, args, {});
  }
}

const prefix = config.require("prefix");
const failAt = config.getNumber("failAt");
const gateAt = config.getNumber("gateAt") ?? 1;
const names: pulumi.Output<string>[] = [];
for (let i = 0; i < (config.getNumber("databases") ?? 1); i++) {
  const db = new Database(`db${i}`, {
    host: tunnel.host,
    port: tunnel.port,
    user: config.require("dbUser"),
    password: config.requireSecret("dbPassword"),
    name: `${prefix}_${i}`,
    fail: i === failAt,
    holdMs: config.getNumber("holdMs") ?? 0,
    gate: config.get("gate") ?? "",
    gated: i === gateAt && config.get("gate") !== undefined,
    sleepMs: config.getNumber("sleepMs") ?? 0,
  });
  names.push(db.id);
}

export const port = tunnel.port;
export const host = tunnel.host;
export const databases = pulumi.all(names);
