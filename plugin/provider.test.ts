/**
 * The adapter with the real lifecycles against the in-process local cloud: dispatch by type
 * token, the URN standing in for `__urn`, secrets in and out, config under `sessions:` names.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AdminClient } from "../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../emulator/server";
import { deriveClientToken } from "../provider/resources/terminalSession/lifecycle";
import { createSessionsPlugin, typeOfUrn, type SessionsPlugin } from "./provider";
import { isSecret, secret } from "./secrets";

const KEY = { accessKeyId: "LTAIunitplugin001", accessKeySecret: "unit-plugin-secret-001" };
const REGION = "cn-hangzhou";
const INSTANCE = "i-unitplugin001";
const URN = "urn:pulumi:dev::proj::sessions:alicloud:TerminalSession::s";
const AWS_KEY = { accessKeyId: "AKIAUNITPLUGIN0001", accessKeySecret: "unit-plugin-aws-secret" };
const AWS_REGION = "eu-west-1";
const TARGET = "i-0unitplugin00001";
const SSM_URN = "urn:pulumi:dev::proj::sessions:aws:SsmSession::s";
const schema = fs.readFileSync(path.join(__dirname, "..", "schema.json"), "utf8");

let cloud: LocalCloud;
let plugin: SessionsPlugin;
/** What the plugin sent to the engine's log: message, severity, resource. */
const logged: Array<[string, string | undefined, string | undefined]> = [];

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [KEY, AWS_KEY],
    ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
    ssm: { targets: [{ target: TARGET, region: AWS_REGION }] },
  });
  plugin = createSessionsPlugin({
    schema,
    version: "0.1.0",
    env: {},
    log: (message, severity, urn) => logged.push([message, severity, urn]),
  });
  await plugin.configure({
    localCloud: cloud.url,
    alicloudRegion: REGION,
    alicloudAccessKey: secret(KEY.accessKeyId),
    alicloudSecretKey: secret(KEY.accessKeySecret),
    awsRegion: AWS_REGION,
    awsAccessKey: AWS_KEY.accessKeyId,
    awsSecretKey: AWS_KEY.accessKeySecret,
  });
});

afterAll(async () => {
  await cloud?.stop();
});

test("typeOfUrn reads the type, also under a parent", () => {
  expect(typeOfUrn(URN)).toBe("sessions:alicloud:TerminalSession");
  expect(typeOfUrn("urn:pulumi:dev::proj::my:C$sessions:aws:SsmSession::x")).toBe("sessions:aws:SsmSession");
});

test("a resource checked before Configure runs with Configure's settings after it", async () => {
  const early = createSessionsPlugin({ schema, version: "0.1.0", env: {} });
  const before = await early.provider.check!(SSM_URN, {}, { target: TARGET });
  expect(before.failures?.map((f) => f.property)).toContain("region");
  await early.configure({ localCloud: cloud.url, awsRegion: AWS_REGION });
  const after = await early.provider.check!(SSM_URN, {}, { target: TARGET });
  expect(after.failures).toEqual([]);
  expect(after.inputs.region).toBe(AWS_REGION);
});

test("serves schema.json unchanged", () => {
  expect(plugin.provider.schema).toBe(schema);
});

test("check reports the field and rule, derives the client token from the URN, and keeps no internals", async () => {
  const bad = await plugin.provider.check!(URN, {}, { instanceIds: [INSTANCE], portNumber: 70000 });
  expect(bad.failures).toEqual([
    { property: "portNumber", reason: "portNumber must be at most 65535 (rule PortNumber.Invalid)" },
  ]);
  const good = await plugin.provider.check!(URN, {}, { instanceIds: [INSTANCE], portNumber: 22 });
  expect(good.failures).toEqual([]);
  expect(good.inputs).toEqual({
    instanceIds: [INSTANCE],
    portNumber: 22,
    region: REGION,
    clientToken: deriveClientToken(URN, { instanceIds: [INSTANCE], portNumber: 22, region: REGION }),
  });
});

test("a missing region names the plugin's key, not alicloud:region", async () => {
  const bare = createSessionsPlugin({ schema, version: "0.1.0", env: {} });
  await bare.configure({ localCloud: cloud.url });
  const result = await bare.provider.check!(URN, {}, { instanceIds: [INSTANCE] });
  const reason = result.failures?.find((f) => f.property === "region")?.reason;
  expect(reason).toContain("sessions:alicloudRegion");
  expect(reason).not.toContain("alicloud:region");
});

test("create seals the schema's secret outputs, read keeps them sealed, delete ends the session", async () => {
  const admin = new AdminClient(cloud);
  const { inputs } = await plugin.provider.check!(URN, {}, { instanceIds: [INSTANCE], portNumber: 22 });
  const created = await plugin.provider.create!(URN, inputs);
  expect(created.id).toMatch(/^s-/);
  expect(isSecret(created.outs.webSocketUrl)).toBe(true);
  expect(isSecret(created.outs.securityToken)).toBe(true);
  expect(created.outs.sessionId).toBe(created.id);
  expect(created.outs).not.toHaveProperty("__provider");

  const read = await plugin.provider.read!(created.id, URN, created.outs);
  expect(read.id).toBe(created.id);
  expect(isSecret(read.props.webSocketUrl)).toBe(true);

  await plugin.provider.delete!(created.id, URN, created.outs);
  const ecs = ((await admin.sessions()).ecs ?? []) as Array<{ sessionId: string; state: string }>;
  expect(ecs.find((s) => s.sessionId === created.id)?.state).toBe("Ended");
});

test("an input sent as secret stays secret in check's inputs", async () => {
  const result = await plugin.provider.check!(
    URN,
    {},
    { instanceIds: [INSTANCE], commandLine: secret("id") },
  );
  expect(isSecret(result.inputs.commandLine)).toBe(true);
});

test("checkConfig seals the keys typed without --secret and names bad keys", async () => {
  const ok = await plugin.checkConfig(
    {},
    {
      alicloudAccessKey: "LTAIx",
      alicloudSecretKey: "s",
      alicloudRegion: REGION,
    },
  );
  expect(ok.failures).toEqual([]);
  expect(isSecret(ok.inputs.alicloudAccessKey)).toBe(true);
  expect(isSecret(ok.inputs.alicloudSecretKey)).toBe(true);
  expect(ok.inputs.alicloudRegion).toBe(REGION);

  const bad = await plugin.checkConfig(
    {},
    {
      alicloudAccessKey: "LTAIx",
      localcloud: "http://x",
      ecsEndpoint: "ftp://x",
    },
  );
  expect(bad.failures.map((f) => f.property).sort()).toEqual([
    "alicloudSecretKey",
    "ecsEndpoint",
    "localcloud",
  ]);
  expect(bad.failures.find((f) => f.property === "alicloudSecretKey")?.reason).toBe(
    "sessions:alicloudAccessKey is set but sessions:alicloudSecretKey is not: set both or neither.",
  );
});

test("an SsmSession goes to the SSM lifecycle: its token and stream URL come back sealed", async () => {
  const { inputs, failures } = await plugin.provider.check!(SSM_URN, {}, { target: TARGET });
  expect(failures).toEqual([]);
  expect(inputs.region).toBe(AWS_REGION);
  const created = await plugin.provider.create!(SSM_URN, inputs);
  expect(isSecret(created.outs.tokenValue)).toBe(true);
  expect(isSecret(created.outs.streamUrl)).toBe(true);
  const live = async () =>
    (((await new AdminClient(cloud).sessions()).ssm ?? []) as Array<{ sessionId: string; status: string }>)
      .filter((x) => x.status !== "Terminating")
      .map((x) => x.sessionId);
  expect(await live()).toContain(created.id);
  await plugin.provider.delete!(created.id, SSM_URN, created.outs);
  expect(await live()).not.toContain(created.id);
});

describe("a Command's output streams", () => {
  const ALI_CMD = "urn:pulumi:dev::proj::sessions:alicloud:Command::c";
  const AWS_CMD = "urn:pulumi:dev::proj::sessions:aws:Command::c";

  /** check then create, as the engine does, with `stdin` sent as given. */
  async function run(urn: string, instance: Record<string, string>, stdin?: unknown) {
    const news = { ...instance, create: "echo out; cat", ...(stdin === undefined ? {} : { stdin }) };
    const { inputs, failures } = await plugin.provider.check!(urn, {}, news);
    expect(failures).toEqual([]);
    return { inputs, created: await plugin.provider.create!(urn, inputs) };
  }

  test.each([
    [ALI_CMD, { instanceId: INSTANCE }],
    [AWS_CMD, { target: TARGET }],
  ])("%s: come back as secrets when an input arrives secret, and plain otherwise", async (urn, instance) => {
    const sealed = await run(urn, instance, secret("piped-secret-text"));
    expect(sealed.created.outs.stdout).toEqual(secret(expect.stringContaining("piped-secret-text")));
    expect(isSecret(sealed.created.outs.stderr)).toBe(true);
    expect(sealed.created.outs).not.toHaveProperty("__secretStreams");
    // Refresh keeps them sealed; an update that runs nothing too.
    const read = await plugin.provider.read!(sealed.created.id, urn, sealed.created.outs);
    expect(isSecret(read.props.stdout)).toBe(true);
    const updated = await plugin.provider.update!(sealed.created.id, urn, sealed.created.outs, {
      ...sealed.inputs,
      logging: "none",
    });
    expect(isSecret(updated.outs.stdout)).toBe(true);
    expect(updated.outs).not.toHaveProperty("__secretStreams");

    const bare = await run(urn, instance);
    expect(bare.created.outs.stdout).toEqual(expect.stringContaining("out"));
    expect(bare.created.outs).not.toHaveProperty("__secretStreams");
  });

  test.each([
    [ALI_CMD, { instanceId: INSTANCE }, `alicloud.Command create on ${INSTANCE}`],
    [AWS_CMD, { target: TARGET }, `aws.Command create on ${TARGET}`],
  ])(
    "%s: live output goes to the engine's log under the resource, secrets masked",
    async (urn, instance, what) => {
      logged.length = 0;
      await run(urn, instance, secret("piped-secret-text"));
      const lines = logged.filter(([, , at]) => at === urn).map(([message]) => message);
      expect(lines).toContain(`${what}: out`);
      expect(lines).toContain(`${what}: [secret]`);
      expect(JSON.stringify(logged)).not.toContain("piped-secret-text");
      expect(logged.every(([, severity]) => severity === "info")).toBe(true);
    },
  );

  test("a change of secretness alone is a change", async () => {
    const { inputs, created } = await run(ALI_CMD, { instanceId: INSTANCE });
    const diff = await plugin.provider.diff!(created.id, ALI_CMD, created.outs, {
      ...inputs,
      create: secret(inputs.create),
    });
    expect(diff).toMatchObject({ changes: true, replaces: [] });
  });
});

test("cancel stops a running Command: its step fails as stopped and its session is ended", async () => {
  const urn = "urn:pulumi:dev::proj::sessions:alicloud:Command::long";
  const { inputs } = await plugin.provider.check!(
    urn,
    {},
    { instanceId: INSTANCE, create: "sleep 30", logging: "none" },
  );
  const admin = new AdminClient(cloud);
  const open = async () =>
    (((await admin.sessions()).ecs ?? []) as Array<{ state: string }>).filter((s) => s.state === "Open");
  const started = Date.now();
  const created = plugin.provider.create!(urn, inputs);
  while ((await open()).length === 0) await new Promise((r) => setTimeout(r, 50));
  await plugin.provider.cancel!();
  await expect(created).rejects.toThrow(/was stopped \(the deployment was interrupted\), with no exit code/);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(await open()).toEqual([]);
});
