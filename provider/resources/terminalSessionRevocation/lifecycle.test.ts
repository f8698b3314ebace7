/**
 * alicloud.TerminalSessionRevocation's provider against the in-process local cloud: which
 * sessions end, which are spared, what the outputs say, and validation without API calls.
 * The engine-level run (30 sessions, a second `up`) is in test/e2e.
 */
import { AdminClient, startLocalCloud, type LocalCloud } from "../../../emulator";
import {
  createAlicloudClient,
  findTerminalSession,
  sessionUsability,
  startTerminalSession,
  type AlicloudRpcClient,
} from "../../clients/alicloud";
import { configFromObject } from "../../config";
import { UNKNOWN } from "../../validation";
import { createRevocationProvider } from "../revocation/lifecycle";
import { terminalSessionRevocationCloud } from "./lifecycle";

process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

const REGION = "cn-hangzhou";
const PULUMI = { accessKeyId: "LTAIrevpulumi0001", accessKeySecret: "rev-pulumi-secret" };
const ALICE = { accessKeyId: "LTAIrevalice00001", accessKeySecret: "rev-alice-secret" };
const BOB = { accessKeyId: "LTAIrevbob0000001", accessKeySecret: "rev-bob-secret" };
const INSTANCES = ["i-rev0001", "i-rev0002", "i-rev0003"];
const OTHER = "i-rev0009";

let skew = 0;
let cloud: LocalCloud;
let admin: AdminClient;

const clientOf = (key: typeof ALICE): AlicloudRpcClient =>
  createAlicloudClient({
    product: "ecs",
    region: REGION,
    endpoint: cloud.url,
    credentials: { kind: "static", ...key, source: "test" },
  });

async function start(key: typeof ALICE, instanceId: string, username?: string): Promise<string> {
  return (
    await startTerminalSession(clientOf(key), { regionId: REGION, instanceIds: [instanceId], username })
  ).sessionId;
}

/**
 * Whether the local cloud still has the session open. Describe cannot tell: a session ended
 * before anything connected to it looks the same as a live one until its URL expires.
 */
async function isOpen(sessionId: string): Promise<boolean> {
  const { ecs } = (await admin.sessions()) as { ecs: Array<{ sessionId: string; state: string }> };
  return ecs.find((x) => x.sessionId === sessionId)?.state === "Open";
}

async function setup() {
  const notices: string[] = [];
  const provider = createRevocationProvider(terminalSessionRevocationCloud, {
    env: {},
    notice: (m) => notices.push(m),
  });
  await provider.configure!({
    config: configFromObject({
      "alicloud:region": REGION,
      "alicloud:accessKey": PULUMI.accessKeyId,
      "alicloud:secretKey": PULUMI.accessKeySecret,
      "sessions:localCloud": cloud.url,
    }),
  } as never);
  return { provider, notices };
}

beforeAll(async () => {
  cloud = await startLocalCloud(
    {
      credentials: [PULUMI, ALICE, BOB],
      ecs: { instances: [...INSTANCES, OTHER].map((instanceId) => ({ instanceId, regionId: REGION })) },
    },
    { clock: { now: () => new Date(Date.now() + skew) } },
  );
  admin = new AdminClient(cloud);
});
afterAll(() => cloud.stop());

test("ends every live session on the instances except the spared ones", async () => {
  const alice: string[] = [];
  const bob: string[] = [];
  const breakglass: string[] = [];
  for (const instanceId of INSTANCES) {
    alice.push(await start(ALICE, instanceId, "root"), await start(ALICE, instanceId));
    bob.push(await start(BOB, instanceId, "root"));
    breakglass.push(await start(ALICE, instanceId, "breakglass"));
  }
  const untouched = await start(ALICE, OTHER);
  // Created 11 minutes ago and never connected: expired, nothing can use it, left alone.
  skew = -11 * 60 * 1000;
  const expired = await start(ALICE, INSTANCES[0]);
  skew = 0;
  const bobPrincipal = (await findTerminalSession(clientOf(PULUMI), REGION, bob[0])).record!.principalId!;
  const alicePrincipal = (await findTerminalSession(clientOf(PULUMI), REGION, alice[0])).record!.principalId!;

  const { provider, notices } = await setup();
  const news = { instanceIds: INSTANCES, sparePrincipalIds: [bobPrincipal], spareUsernames: ["breakglass"] };
  const { inputs, failures } = await provider.check!({}, news);
  expect(failures).toEqual([]);
  expect(notices).toHaveLength(1);
  expect(notices[0]).toContain("will end 6 live sessions and spare 6");
  for (const id of alice) expect(notices[0]).toContain(`  end   ${id} on `);
  expect(notices[0]).toContain(`principal ${bobPrincipal} is in sparePrincipalIds`);
  expect(notices[0]).toContain("username breakglass is in spareUsernames");

  await admin.clearRequests();
  const created = await provider.create!({ ...inputs, __provider: "stub" });
  const outs = created.outs!;
  expect((outs.endedSessionIds as string[]).sort()).toEqual([...alice].sort());
  expect(outs).toMatchObject({
    region: REGION,
    endedCount: 6,
    endedOwners: [alicePrincipal],
    endedCountByTarget: Object.fromEntries(INSTANCES.map((i) => [i, 2])),
    sparedCount: 6,
    alreadyEndedCount: 0,
  });
  expect((outs.sparedSessions as Array<{ sessionId: string }>).map((x) => x.sessionId).sort()).toEqual(
    [...bob, ...breakglass].sort(),
  );
  expect(outs.endedSessions).toContainEqual({
    sessionId: alice[0],
    target: INSTANCES[0],
    owner: alicePrincipal,
    username: "root",
    startedAt: expect.stringMatching(/^\d{4}-/),
  });
  const ends = (await admin.requests()).filter((r) => r.action === "EndTerminalSession");
  expect(ends).toHaveLength(6);

  for (const id of alice) expect(await isOpen(id)).toBe(false);
  for (const id of [...bob, ...breakglass, untouched, expired]) expect(await isOpen(id)).toBe(true);
  const { record } = await findTerminalSession(clientOf(PULUMI), REGION, expired);
  expect(sessionUsability(record!, new Date())).toBe("expired");
});

describe("invalid inputs fail at check without any API call", () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["no instances", { instanceIds: [] }, "instanceIds", "instanceIds must list at least 1"],
    ["instanceIds missing", {}, "instanceIds", "instanceIds must be a list of strings"],
    [
      "an empty instance id",
      { instanceIds: ["i-1", ""] },
      "instanceIds",
      "instanceIds[1]: must not be empty",
    ],
    [
      "a repeated instance id",
      { instanceIds: ["i-1", "i-1"] },
      "instanceIds",
      "instanceIds[1]: repeats instanceIds[0]",
    ],
    [
      "sparePrincipalIds not a list",
      { instanceIds: ["i-1"], sparePrincipalIds: "123" },
      "sparePrincipalIds",
      "list",
    ],
    [
      "a repeated username",
      { instanceIds: ["i-1"], spareUsernames: ["a", "a"] },
      "spareUsernames",
      "spareUsernames[1]: repeats spareUsernames[0]",
    ],
    ["triggers not a list", { instanceIds: ["i-1"], triggers: "x" }, "triggers", "triggers must be a list"],
    ["an unknown input", { instanceIds: ["i-1"], instanceId: "i-1" }, "instanceId", "is not a known input"],
  ];
  test.each(cases)("%s", async (_name, news, property, reason) => {
    const { provider, notices } = await setup();
    await admin.clearRequests();
    const { failures } = await provider.check!({}, news);
    expect(failures).toEqual([
      expect.objectContaining({ property, reason: expect.stringContaining(reason) }),
    ]);
    expect(notices).toEqual([]);
    expect(await admin.requests()).toEqual([]);
  });

  test("a principal id written as a number (pulumi config set --path) is taken as its digits", async () => {
    const { provider } = await setup();
    const { inputs, failures } = await provider.check!(
      {},
      { instanceIds: ["i-1"], sparePrincipalIds: [1919522535951308, "203"] },
    );
    expect(failures).toEqual([]);
    expect(inputs!.sparePrincipalIds).toEqual(["1919522535951308", "203"]);
    const tooLarge = await provider.check!({}, { instanceIds: ["i-1"], sparePrincipalIds: [2 ** 60] });
    expect(tooLarge.failures).toEqual([
      {
        property: "sparePrincipalIds",
        reason: expect.stringContaining(
          "sparePrincipalIds[0]: must be a principal id string: write it as text, e.g. `pulumi config set --path 'sparePrincipalIds[0]' --type string <id>`",
        ),
      },
    ]);
  });

  test("no region anywhere", async () => {
    const provider = createRevocationProvider(terminalSessionRevocationCloud, { env: {}, notice: () => {} });
    const { failures } = await provider.check!({}, { instanceIds: ["i-1"] });
    expect(failures).toEqual([{ property: "region", reason: expect.stringContaining("alicloud:region") }]);
  });

  test("unknown instance ids are fine at preview", async () => {
    const { provider, notices } = await setup();
    await admin.clearRequests();
    expect((await provider.check!({}, { instanceIds: [UNKNOWN] })).failures).toEqual([]);
    expect(notices[0]).toContain("unknown until apply");
    expect(await admin.requests()).toEqual([]);
  });
});
