/**
 * The demo's fixed names and local-only secrets, in one place: the local cloud's inventory and
 * keys, the stack config the demo sets, and the demo database's accounts.
 */
import type { LocalCloudConfigInput } from "../../emulator/config";

export const DEMO_ALICLOUD_KEY = {
  accessKeyId: "LTAIdemo000000000001",
  accessKeySecret: "demo-alicloud-secret",
};
export const DEMO_AWS_KEY = { accessKeyId: "AKIADEMO000000000001", accessKeySecret: "demo-aws-secret" };
export const DEMO_REGION = { alicloud: "cn-hangzhou", aws: "us-east-1" };
export const DEMO_INSTANCES = {
  command: "i-demo000000000000001",
  forward: "i-demo000000000000002",
  revoke: "i-demo000000000000003",
  ssmTarget: "i-0123456789abcdef0",
  database: "rm-demo000000000001",
};
export const DEMO_DB = {
  opsUser: "demo_ops",
  opsPassword: "demo-ops-password",
  appUser: "demo_app",
  appPassword: "demo-app-password",
  ignoredUser: "demo_replicator",
  ignoredPassword: "demo-replicator-password",
};

/** The local cloud's configuration; the database instance only when a MariaDB port is given. */
export function localCloudConfig(mariadbPort?: number): LocalCloudConfigInput {
  return {
    // Any free port: the demo must not collide with a local cloud the user runs on the default one.
    port: 0,
    credentials: [DEMO_ALICLOUD_KEY, DEMO_AWS_KEY],
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
      instances: mariadbPort
        ? [{ instanceId: DEMO_INSTANCES.database, engine: "MySQL", host: "127.0.0.1", port: mariadbPort }]
        : [],
    },
  };
}

/** Stack config for the demo project: `[key, value, secret]`. */
export function stackConfig(
  cloudUrl: string,
  echoPort: number,
  tunnelEchoPort: number,
  withDatabase: boolean,
): [string, string, boolean][] {
  const config: [string, string, boolean][] = [
    ["sessions:localCloud", cloudUrl, false],
    ["alicloud:region", DEMO_REGION.alicloud, false],
    ["alicloud:accessKey", DEMO_ALICLOUD_KEY.accessKeyId, false],
    ["alicloud:secretKey", DEMO_ALICLOUD_KEY.accessKeySecret, true],
    ["aws:region", DEMO_REGION.aws, false],
    ["aws:accessKey", DEMO_AWS_KEY.accessKeyId, false],
    ["aws:secretKey", DEMO_AWS_KEY.accessKeySecret, true],
    ["demo:instanceId", DEMO_INSTANCES.command, false],
    ["demo:forwardInstanceId", DEMO_INSTANCES.forward, false],
    ["demo:revokeInstanceId", DEMO_INSTANCES.revoke, false],
    ["demo:ssmTarget", DEMO_INSTANCES.ssmTarget, false],
    ["demo:echoPort", String(echoPort), false],
    ["demo:tunnelEchoPort", String(tunnelEchoPort), false],
    ["demo:release", "release-1", false],
  ];
  if (withDatabase) {
    config.push(
      ["demo:dbInstanceId", DEMO_INSTANCES.database, false],
      ["demo:dbUser", DEMO_DB.opsUser, false],
      ["demo:dbPassword", DEMO_DB.opsPassword, true],
      ["demo:dbIgnoredUser", DEMO_DB.ignoredUser, false],
    );
  }
  return config;
}
