/**
 * Credentials in stack config under the real engine: the engine stores the whole stack config
 * as the inputs of the default `pulumi-nodejs` provider, so a credential set without `--secret`
 * would sit in state in plain text. Every resource class refuses to register then, at preview,
 * before any API call, with the command that makes the key a secret; set with `--secret`, the
 * keys are ciphertext in state and only the key ids (not secrets) are plain.
 */
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { TestStack, uniqueSuffix, type StateResource } from "../support/harness";

jest.setTimeout(600_000);

const KEY = { accessKeyId: "LTAIe2ecredcfg01", accessKeySecret: "e2e-credential-config-secret" };
const AWS_KEY = { accessKeyId: "AKIAE2ECREDCFG0001", accessKeySecret: "e2e-aws-credential-config-secret" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-e2ecredcfg01";

let cloud: LocalCloud;
let admin: AdminClient;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [KEY, AWS_KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
    ssm: { targets: [{ target: "i-0e2ecredcfg0001", region: "us-east-2" }] },
  });
  admin = new AdminClient(cloud);
});
afterAll(() => cloud?.stop());

/**
 * A stack of the terminal-session program. `plain` is set with `--plaintext`: the CLI refuses a
 * value that looks like a secret otherwise, but a user can still force it (or edit the stack file).
 */
async function terminalSessionStack(plain: Record<string, string>, secrets: Record<string, string>) {
  const stack = await TestStack.create({
    program: "terminal-session",
    config: { "alicloud:region": REGION, "sessions:localCloud": cloud.url, "e2e:instanceId": INSTANCE },
    secrets,
    stackName: `c${uniqueSuffix()}`,
  });
  for (const [key, value] of Object.entries(plain)) {
    await stack.pulumi(["config", "set", key, value, "--plaintext", "--stack", stack.stackName]);
  }
  return stack;
}

/** The default provider of dynamic resources, where the engine keeps the stack config. */
async function nodejsProvider(stack: TestStack): Promise<StateResource> {
  const [provider] = await stack.resourcesOfType("pulumi:providers:pulumi-nodejs");
  return provider;
}

const plaintextCases: Array<{
  name: string;
  plain: Record<string, string>;
  secrets: Record<string, string>;
  value: string;
}> = [
  {
    name: "alicloud:secretKey",
    plain: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    secrets: {},
    value: KEY.accessKeySecret,
  },
  {
    name: "alicloud:securityToken",
    plain: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:securityToken": "e2e-plain-sts-token" },
    secrets: { "alicloud:secretKey": KEY.accessKeySecret },
    value: "e2e-plain-sts-token",
  },
  {
    name: "aws:secretKey",
    plain: { "aws:secretKey": AWS_KEY.accessKeySecret },
    secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    value: AWS_KEY.accessKeySecret,
  },
  {
    name: "aws:token",
    plain: { "aws:token": "e2e-plain-aws-session-token" },
    secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    value: "e2e-plain-aws-session-token",
  },
];

test.each(plaintextCases)(
  "$name in plain text: preview fails with the command that makes it a secret, calling no API",
  async ({ name, plain, secrets, value }) => {
    const stack = await terminalSessionStack(plain, secrets);
    try {
      await admin.clearRequests();
      const preview = await stack.preview({ allowFailure: true });
      expect(preview.code).not.toBe(0);
      const errors = (preview.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => d.message);
      // One clean error: the message, no stack trace of the SDK.
      expect(errors).toEqual([
        `error: ${name} is set in plain text, and the engine would store it unencrypted in state ` +
          "(as inputs of the default pulumi-nodejs provider). Make it a secret: " +
          `pulumi config set --secret --stack ${stack.stackName} ${name} "$(pulumi config get --stack ${stack.stackName} ${name})"\n`,
      ]);
      // (The preview's plan still lists the default provider with the plain value: the program's
      // Echo resource registered it first. The error itself never repeats the value.)
      expect(await admin.requests()).toEqual([]);

      // The command it names fixes the stack: its two halves, as the shell would run them.
      const current = await stack.pulumi(["config", "get", name, "--stack", stack.stackName]);
      expect(current.stdout.trim()).toBe(value);
      await stack.setConfig(name, current.stdout.trim(), true);
      const fixed = await stack.preview();
      expect(fixed.code).toBe(0);
    } finally {
      stack.cleanup();
    }
  },
);

test("with every credential secret, up works and state holds ciphertext; the key id stays plain", async () => {
  const stack = await terminalSessionStack(
    { "alicloud:accessKey": KEY.accessKeyId, "aws:accessKey": AWS_KEY.accessKeyId },
    {
      "alicloud:secretKey": KEY.accessKeySecret,
      "aws:secretKey": AWS_KEY.accessKeySecret,
      "aws:token": "e2e-secret-aws-session-token",
    },
  );
  try {
    await stack.up();
    const provider = await nodejsProvider(stack);
    const inputs = provider.inputs ?? {};
    for (const key of ["alicloud:secretKey", "aws:secretKey", "aws:token"]) {
      expect(inputs[key]).toEqual(expect.objectContaining({ ciphertext: expect.any(String) }));
    }
    // What the docs say: the key ids are not secrets, and the engine keeps them as set.
    expect(inputs["alicloud:accessKey"]).toBe(KEY.accessKeyId);
    expect(inputs["aws:accessKey"]).toBe(AWS_KEY.accessKeyId);
    for (const text of [await stack.exportText(), stack.rawState()]) {
      for (const secret of [KEY.accessKeySecret, AWS_KEY.accessKeySecret, "e2e-secret-aws-session-token"]) {
        expect(text).not.toContain(secret);
      }
    }
    await stack.destroy();
  } finally {
    stack.cleanup();
  }
});
