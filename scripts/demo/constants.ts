/**
 * The demo's fixed names, in one place: the local cloud's inventory, the stack config the demo
 * sets and the demo database's accounts. Keys and passwords are made at every run (secrets.ts).
 */
import type { LocalCloudConfigInput } from "../../emulator/config";
import type { DemoSecrets } from "./secrets";

export const DEMO_REGION = { alicloud: "cn-hangzhou", aws: "us-east-1" };
export const DEMO_INSTANCES = {
  command: "i-demo000000000000001",
  forward: "i-demo000000000000002",
  revoke: "i-demo000000000000003",
  ssmTarget: "i-0123456789abcdef0",
  database: "rm-demo000000000001",
};
export const DEMO_DB_USERS = { ops: "demo_ops", app: "demo_app", ignored: "demo_replicator" };

/** The local cloud's configuration, its database instance served by the MariaDB on `mariadbPort`. */
export function localCloudConfig(secrets: DemoSecrets, mariadbPort: number): LocalCloudConfigInput {
  return {
    // Any free port: the demo must not collide with a local cloud the user runs on the default one.
    port: 0,
    credentials: [secrets.alicloud, secrets.aws],
    ecs: {
      instances: [DEMO_INSTANCES.command, DEMO_INSTANCES.forward, DEMO_INSTANCES.revoke].map(
        (instanceId) => ({
          instanceId,
          regionId: DEMO_REGION.alicloud,
        }),
      ),
    },
    ssm: { targets: [{ target: DEMO_INSTANCES.ssmTarget, region: DEMO_REGION.aws }] },
    das: {
      instances: [
        { instanceId: DEMO_INSTANCES.database, engine: "MySQL", host: "127.0.0.1", port: mariadbPort },
      ],
    },
  };
}

/** Stack config for the demo project: `[key, value, secret]`. */
export function stackConfig(
  secrets: DemoSecrets,
  cloudUrl: string,
  echoPort: number,
  tunnelEchoPort: number,
): [string, string, boolean][] {
  return [
    ["sessions:localCloud", cloudUrl, false],
    ["alicloud:region", DEMO_REGION.alicloud, false],
    ["alicloud:accessKey", secrets.alicloud.accessKeyId, false],
    ["alicloud:secretKey", secrets.alicloud.accessKeySecret, true],
    ["aws:region", DEMO_REGION.aws, false],
    ["aws:accessKey", secrets.aws.accessKeyId, false],
    ["aws:secretKey", secrets.aws.accessKeySecret, true],
    ["demo:instanceId", DEMO_INSTANCES.command, false],
    ["demo:forwardInstanceId", DEMO_INSTANCES.forward, false],
    ["demo:revokeInstanceId", DEMO_INSTANCES.revoke, false],
    ["demo:ssmTarget", DEMO_INSTANCES.ssmTarget, false],
    ["demo:echoPort", String(echoPort), false],
    ["demo:tunnelEchoPort", String(tunnelEchoPort), false],
    ["demo:release", "release-1", false],
    ["demo:dbInstanceId", DEMO_INSTANCES.database, false],
    ["demo:dbUser", DEMO_DB_USERS.ops, false],
    ["demo:dbPassword", secrets.db.opsPassword, true],
    ["demo:dbIgnoredUser", DEMO_DB_USERS.ignored, false],
  ];
}
