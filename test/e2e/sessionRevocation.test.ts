/**
 * alicloud.TerminalSessionRevocation and aws.SsmSessionRevocation under the real Pulumi engine,
 * against the in-process local cloud. For each cloud: 30 live sessions on 3 targets, started
 * directly with the official clients (not through Pulumi) by two principals, some of them
 * spared; preview lists the plan without ending anything; up ends exactly the right ones
 * (checked in the local cloud's `/_admin/sessions`); the outputs match; a second up with the
 * same triggers calls nothing; destroy ends nothing. Invalid inputs fail at preview without
 * any API call.
 */
import { SSMClient, StartSessionCommand } from "@aws-sdk/client-ssm";
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { callRpc, openApiClient } from "../../emulator/testing/alibaba";
import { TestStack, uniqueSuffix } from "../support/harness";

jest.setTimeout(600_000);

const ALI_REGION = "cn-hangzhou";
const AWS_REGION = "ap-northeast-1";
/** The key Pulumi signs with, and two people whose sessions are revoked or spared. */
const PULUMI = { accessKeyId: "LTAIe2erevpulumi01", accessKeySecret: "e2e-rev-pulumi-secret" };
const ALICE = { accessKeyId: "LTAIe2erevalice001", accessKeySecret: "e2e-rev-alice-secret" };
const BOB = { accessKeyId: "LTAIe2erevbob00001", accessKeySecret: "e2e-rev-bob-secret" };
const AWS_PULUMI = { accessKeyId: "AKIAE2EREVPULUMI01", accessKeySecret: "e2e-rev-aws-pulumi-secret" };
const AWS_ALICE = { accessKeyId: "AKIAE2EREVALICE001", accessKeySecret: "e2e-rev-aws-alice-secret" };
const AWS_BOB = { accessKeyId: "AKIAE2EREVBOB00001", accessKeySecret: "e2e-rev-aws-bob-secret" };

const INSTANCES = ["i-e2erev0001", "i-e2erev0002", "i-e2erev0003"];
const OTHER_INSTANCE = "i-e2erev0009";
const TARGETS = ["i-0e2erev000000001", "i-0e2erev000000002", "i-0e2erev000000003"];
const OTHER_TARGET = "i-0e2erev000000009";

let cloud: LocalCloud;
let admin: AdminClient;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [PULUMI, ALICE, BOB, AWS_PULUMI, AWS_ALICE, AWS_BOB],
    ecs: {
      instances: [...INSTANCES, OTHER_INSTANCE].map((instanceId) => ({ instanceId, regionId: ALI_REGION })),
    },
    ssm: { targets: [...TARGETS, OTHER_TARGET].map((target) => ({ target, region: AWS_REGION })) },
  });
  admin = new AdminClient(cloud);
});
afterAll(() => cloud?.stop());

function newStack(cloudName: "alicloud" | "aws", args: Record<string, unknown>): Promise<TestStack> {
  const provider: { config: Record<string, string>; secrets: Record<string, string> } =
    cloudName === "alicloud"
      ? {
          config: { "alicloud:region": ALI_REGION },
          secrets: { "alicloud:accessKey": PULUMI.accessKeyId, "alicloud:secretKey": PULUMI.accessKeySecret },
        }
      : {
          config: { "aws:region": AWS_REGION },
          secrets: { "aws:accessKey": AWS_PULUMI.accessKeyId, "aws:secretKey": AWS_PULUMI.accessKeySecret },
        };
  return TestStack.create({
    program: "session-revocation",
    config: {
      ...provider.config,
      "sessions:localCloud": cloud.url,
      "e2e:cloud": cloudName,
      "e2e:args": JSON.stringify(args),
    },
    secrets: provider.secrets,
    stackName: `r${uniqueSuffix()}`,
  });
}

async function calls(service: string, action: string) {
  return (await admin.requests()).filter((r) => r.service === service && r.action === action);
}

/** All output of a CLI run: the provider's preview listing arrives as diagnostics. */
const textOf = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

describe("alicloud.TerminalSessionRevocation with 30 live sessions on 3 instances", () => {
  const ended: string[] = [];
  const spared: string[] = [];
  const untouched: string[] = [];
  let bobPrincipal: string;
  let alicePrincipal: string;
  let stack: TestStack;

  /** Started with openapi-core's generic RPC call, as a user's own tooling would. */
  async function start(key: typeof ALICE, instanceId: string, username?: string): Promise<string> {
    const response = await callRpc(openApiClient(cloud, key), "StartTerminalSession", {
      RegionId: ALI_REGION,
      "InstanceId.1": instanceId,
      Username: username,
    });
    return response.body.SessionId as string;
  }

  async function principalOf(sessionId: string): Promise<string> {
    const response = await callRpc(openApiClient(cloud, PULUMI), "DescribeTerminalSessions", {
      RegionId: ALI_REGION,
      SessionId: sessionId,
    });
    const sessions = (response.body.Sessions as { Session: Array<{ PrincipalId: string }> }).Session;
    return String(sessions[0].PrincipalId);
  }

  async function openIds(): Promise<string[]> {
    const { ecs } = (await admin.sessions()) as { ecs: Array<{ sessionId: string; state: string }> };
    return ecs.filter((s) => s.state === "Open").map((s) => s.sessionId);
  }

  beforeAll(async () => {
    // Per instance: 5 of alice's as root (ended), 2 of alice's as breakglass and 3 of bob's (spared).
    for (const instanceId of INSTANCES) {
      for (let i = 0; i < 5; i++) ended.push(await start(ALICE, instanceId, "root"));
      for (let i = 0; i < 2; i++) spared.push(await start(ALICE, instanceId, "breakglass"));
      for (let i = 0; i < 3; i++) spared.push(await start(BOB, instanceId, "root"));
    }
    // Not a target: never touched.
    untouched.push(await start(ALICE, OTHER_INSTANCE, "root"), await start(BOB, OTHER_INSTANCE));
    expect(ended.length + spared.length).toBe(30);
    bobPrincipal = await principalOf(spared[2]);
    alicePrincipal = await principalOf(ended[0]);
    stack = await newStack("alicloud", {
      instanceIds: INSTANCES,
      sparePrincipalIds: [bobPrincipal],
      spareUsernames: ["breakglass"],
      triggers: ["2026-01"],
    });
  });
  afterAll(() => stack?.cleanup());

  test("preview lists the 15 sessions to end and the 15 spared, and ends nothing", async () => {
    await admin.clearRequests();
    const preview = await stack.preview();
    const text = textOf(preview);
    expect(text).toContain(
      'alicloud.TerminalSessionRevocation \\"revoke\\" will end 15 live sessions and spare 15',
    );
    for (const id of ended) expect(text).toContain(`end   ${id} on`);
    expect(text).toContain(`principal ${bobPrincipal} is in sparePrincipalIds`);
    expect(text).toContain("username breakglass is in spareUsernames");
    expect(await calls("ecs", "EndTerminalSession")).toEqual([]);
    expect((await openIds()).length).toBe(32);
  });

  test("up ends exactly the sessions that are not spared, and the outputs say so", async () => {
    await admin.clearRequests();
    await stack.up();
    expect(await calls("ecs", "EndTerminalSession")).toHaveLength(15);
    const open = await openIds();
    for (const id of ended) expect(open).not.toContain(id);
    expect(open.sort()).toEqual([...spared, ...untouched].sort());

    const outputs = await stack.outputs();
    expect((outputs.endedSessionIds as string[]).sort()).toEqual([...ended].sort());
    expect((outputs.sparedSessionIds as string[]).sort()).toEqual([...spared].sort());
    expect(outputs).toMatchObject({
      endedCount: 15,
      sparedCount: 15,
      endedOwners: [alicePrincipal],
      endedCountByTarget: Object.fromEntries(INSTANCES.map((i) => [i, 5])),
    });
  });

  test("a second up with the same triggers ends nothing and calls no API", async () => {
    await admin.clearRequests();
    await stack.up();
    expect(await calls("ecs", "EndTerminalSession")).toEqual([]);
    expect(await admin.requests()).toEqual([]);
    expect((await openIds()).sort()).toEqual([...spared, ...untouched].sort());
  });

  test("destroy removes the record and ends nothing", async () => {
    await admin.clearRequests();
    await stack.destroy();
    expect(await stack.resources()).toEqual([]);
    expect(await admin.requests()).toEqual([]);
    expect((await openIds()).sort()).toEqual([...spared, ...untouched].sort());
  });
});

describe("aws.SsmSessionRevocation with 30 live sessions on 3 managed nodes", () => {
  const ended: string[] = [];
  const spared: string[] = [];
  const untouched: string[] = [];
  const aliceArn = `arn:aws:iam::000000000000:user/${AWS_ALICE.accessKeyId}`;
  let stack: TestStack;

  const client = (key: typeof AWS_ALICE) =>
    new SSMClient({
      region: AWS_REGION,
      endpoint: cloud.url,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.accessKeySecret },
    });

  async function start(key: typeof AWS_ALICE, target: string): Promise<string> {
    return (await client(key).send(new StartSessionCommand({ Target: target, Reason: "e2e" }))).SessionId!;
  }

  async function liveIds(): Promise<string[]> {
    const { ssm } = (await admin.sessions()) as { ssm: Array<{ sessionId: string; status: string }> };
    return ssm.filter((s) => s.status !== "Terminating").map((s) => s.sessionId);
  }

  beforeAll(async () => {
    // Per node: 7 of alice's (terminated) and 3 of bob's (spared).
    for (const target of TARGETS) {
      for (let i = 0; i < 7; i++) ended.push(await start(AWS_ALICE, target));
      for (let i = 0; i < 3; i++) spared.push(await start(AWS_BOB, target));
    }
    untouched.push(await start(AWS_ALICE, OTHER_TARGET));
    expect(ended.length + spared.length).toBe(30);
    stack = await newStack("aws", { targets: TARGETS, spareOwners: [AWS_BOB.accessKeyId], triggers: [1] });
  });
  afterAll(() => stack?.cleanup());

  test("preview lists the 21 sessions to terminate and the 9 spared, and terminates nothing", async () => {
    await admin.clearRequests();
    const text = textOf(await stack.preview());
    expect(text).toContain('aws.SsmSessionRevocation \\"revoke\\" will end 21 live sessions and spare 9');
    for (const id of ended) expect(text).toContain(`end   ${id} on`);
    expect(text).toContain(`owner ${AWS_BOB.accessKeyId} is in spareOwners`);
    expect(await calls("ssm", "TerminateSession")).toEqual([]);
    expect((await liveIds()).length).toBe(31);
  });

  test("up terminates exactly the sessions that are not spared, and the outputs say so", async () => {
    await admin.clearRequests();
    await stack.up();
    expect(await calls("ssm", "TerminateSession")).toHaveLength(21);
    expect((await liveIds()).sort()).toEqual([...spared, ...untouched].sort());
    const outputs = await stack.outputs();
    expect((outputs.endedSessionIds as string[]).sort()).toEqual([...ended].sort());
    expect((outputs.sparedSessionIds as string[]).sort()).toEqual([...spared].sort());
    expect(outputs).toMatchObject({
      endedCount: 21,
      sparedCount: 9,
      endedOwners: [aliceArn],
      endedCountByTarget: Object.fromEntries(TARGETS.map((t) => [t, 7])),
    });
  });

  test("a second up with the same triggers terminates nothing and calls no API", async () => {
    await admin.clearRequests();
    await stack.up();
    expect(await calls("ssm", "TerminateSession")).toEqual([]);
    expect(await admin.requests()).toEqual([]);
  });

  test("refresh keeps the record as it is", async () => {
    const before = await stack.outputs();
    await stack.refresh();
    expect(await stack.outputs()).toEqual(before);
  });

  test("new triggers run it again: only what went live since is terminated", async () => {
    const fresh = [await start(AWS_ALICE, TARGETS[0]), await start(AWS_ALICE, TARGETS[2])];
    await stack.setConfig(
      "e2e:args",
      JSON.stringify({ targets: TARGETS, spareOwners: [AWS_BOB.accessKeyId], triggers: [2] }),
    );
    await admin.clearRequests();
    await stack.up();
    expect((await calls("ssm", "TerminateSession")).length).toBe(2);
    const outputs = await stack.outputs();
    expect((outputs.endedSessionIds as string[]).sort()).toEqual([...fresh].sort());
    expect(outputs.endedCountByTarget).toEqual({ [TARGETS[0]]: 1, [TARGETS[1]]: 0, [TARGETS[2]]: 1 });
    expect((await liveIds()).sort()).toEqual([...spared, ...untouched].sort());
  });

  test("destroy removes the record and terminates nothing", async () => {
    await admin.clearRequests();
    await stack.destroy();
    expect(await stack.resources()).toEqual([]);
    expect(await admin.requests()).toEqual([]);
    expect((await liveIds()).sort()).toEqual([...spared, ...untouched].sort());
  });
});

describe("invalid inputs fail at preview, naming the field, before any API call", () => {
  const cases: Array<["alicloud" | "aws", string, Record<string, unknown>, string, string]> = [
    ["alicloud", "no instances", { instanceIds: [] }, "instanceIds", "instanceIds must list at least 1"],
    ["alicloud", "a repeated instance", { instanceIds: ["i-1", "i-1"] }, "instanceIds[1]", "repeats"],
    ["alicloud", "an empty instance id", { instanceIds: [""] }, "instanceIds[0]", "must not be empty"],
    [
      "alicloud",
      "a principal list that is not a list",
      { instanceIds: ["i-1"], sparePrincipalIds: "1" },
      "sparePrincipalIds",
      "must be a list",
    ],
    [
      "alicloud",
      "a repeated username",
      { instanceIds: ["i-1"], spareUsernames: ["a", "a"] },
      "spareUsernames[1]",
      "repeats",
    ],
    [
      "alicloud",
      "triggers that are not a list",
      { instanceIds: ["i-1"], triggers: "x" },
      "triggers",
      "triggers must be a list",
    ],
    ["aws", "no targets", { targets: [] }, "targets", "targets must list at least 1"],
    [
      "aws",
      "a target over 400 characters",
      { targets: ["i".repeat(401)] },
      "targets[0]",
      "at most 400 characters",
    ],
    ["aws", "a repeated target", { targets: ["i-1", "i-1"] }, "targets[1]", "repeats"],
    ["aws", "an empty owner", { targets: ["i-1"], owner: "" }, "owner", "owner must not be empty"],
    [
      "aws",
      "sparing the only owner",
      { targets: ["i-1"], owner: "arn:aws:iam::1:user/bob", spareOwners: ["bob"] },
      "spareOwners[0]",
      "nothing would be terminated",
    ],
    [
      "aws",
      "an unknown input",
      { targets: ["i-1"], instanceIds: ["i-1"] },
      "instanceIds",
      "is not a known input",
    ],
  ];
  const stacks: Partial<Record<"alicloud" | "aws", TestStack>> = {};
  afterAll(() => Object.values(stacks).forEach((s) => s.cleanup()));

  test.each(cases)("%s: %s", async (cloudName, _name, args, property, reason) => {
    stacks[cloudName] ??= await newStack(cloudName, args);
    const stack = stacks[cloudName]!;
    await stack.setConfig("e2e:args", JSON.stringify(args));
    await admin.clearRequests();
    const preview = await stack.preview({ allowFailure: true });
    expect(preview.code).not.toBe(0);
    const text = textOf(preview);
    expect(text).toContain(property);
    expect(text).toContain(reason);
    expect(await admin.requests()).toEqual([]);
  });
});
