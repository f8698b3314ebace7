/**
 * aws.SsmSessionRevocation's provider against the in-process local cloud: which sessions are
 * terminated, which are spared, the owner filter, and validation without API calls.
 * The engine-level run (30 sessions, a second `up`) is in test/e2e.
 */
import { AdminClient, startLocalCloud, type LocalCloud } from "../../../emulator";
import { createSsmClient, startSession } from "../../clients/aws";
import { configFromObject } from "../../config";
import { createRevocationProvider } from "../revocation/lifecycle";
import { UNKNOWN } from "../../validation";
import { spareOwnerMatch, ssmSessionRevocationCloud } from "./lifecycle";

process.env.AWS_EC2_METADATA_DISABLED = "true";

const REGION = "eu-central-1";
const PULUMI = { accessKeyId: "AKIAREVPULUMI00001", accessKeySecret: "rev-pulumi-secret" };
const ALICE = { accessKeyId: "AKIAREVALICE000001", accessKeySecret: "rev-alice-secret" };
const BOB = { accessKeyId: "AKIAREVBOB00000001", accessKeySecret: "rev-bob-secret" };
const TARGETS = ["i-0rev00000000001", "i-0rev00000000002", "i-0rev00000000003"];
const OTHER = "i-0rev00000000009";
const arn = (key: typeof ALICE) => `arn:aws:iam::000000000000:user/${key.accessKeyId}`;

let cloud: LocalCloud;
let admin: AdminClient;

async function start(key: typeof ALICE, target: string): Promise<string> {
  const client = createSsmClient({
    region: REGION,
    endpoint: cloud.url,
    credentials: {
      kind: "static",
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.accessKeySecret,
      source: "t",
    },
  });
  return (await startSession(client, { target })).sessionId;
}

async function liveIds(): Promise<string[]> {
  const { ssm } = (await admin.sessions()) as { ssm: Array<{ sessionId: string; status: string }> };
  return ssm.filter((x) => x.status !== "Terminating").map((x) => x.sessionId);
}

async function setup() {
  const notices: string[] = [];
  const provider = createRevocationProvider(ssmSessionRevocationCloud, {
    env: {},
    notice: (m) => notices.push(m),
  });
  await provider.configure!({
    config: configFromObject({
      "aws:region": REGION,
      "aws:accessKey": PULUMI.accessKeyId,
      "aws:secretKey": PULUMI.accessKeySecret,
      "sessions:ssmEndpoint": cloud.url,
    }),
  } as never);
  return { provider, notices };
}

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [PULUMI, ALICE, BOB],
    ssm: { targets: [...TARGETS, OTHER].map((target) => ({ target, region: REGION })) },
  });
  admin = new AdminClient(cloud);
});
afterAll(() => cloud.stop());

test("spareOwnerMatch takes the ARN or its last segment", () => {
  const owner = "arn:aws:sts::123456789012:assumed-role/Admin/alice";
  expect(spareOwnerMatch(["alice"], owner)).toBe("alice");
  expect(spareOwnerMatch([owner], owner)).toBe(owner);
  expect(spareOwnerMatch(["Admin", "ali"], owner)).toBeUndefined();
  expect(spareOwnerMatch(["alice"], undefined)).toBeUndefined();
});

test("terminates every live session on the targets except the spared owners", async () => {
  const alice: string[] = [];
  const bob: string[] = [];
  for (const target of TARGETS) {
    alice.push(await start(ALICE, target), await start(ALICE, target));
    bob.push(await start(BOB, target));
  }
  const untouched = await start(ALICE, OTHER);

  const { provider, notices } = await setup();
  // Spared by name (the ARN's last segment).
  const { inputs, failures } = await provider.check!(
    {},
    { targets: TARGETS, spareOwners: [BOB.accessKeyId] },
  );
  expect(failures).toEqual([]);
  expect(notices[0]).toContain("aws.SsmSessionRevocation will end 6 live sessions and spare 3");
  expect(notices[0]).toContain(`owner ${BOB.accessKeyId} is in spareOwners`);

  await admin.clearRequests();
  const created = await provider.create!({ ...inputs, __provider: "stub" });
  const outs = created.outs!;
  expect((outs.endedSessionIds as string[]).sort()).toEqual([...alice].sort());
  expect(outs).toMatchObject({
    endedCount: 6,
    endedOwners: [arn(ALICE)],
    endedCountByTarget: Object.fromEntries(TARGETS.map((t) => [t, 2])),
    sparedCount: 3,
  });
  expect(outs.sparedSessions).toContainEqual({
    sessionId: bob[0],
    target: TARGETS[0],
    owner: arn(BOB),
    startedAt: expect.stringMatching(/^\d{4}-/),
    spareReason: `owner ${BOB.accessKeyId} is in spareOwners`,
  });
  const requests = await admin.requests();
  expect(requests.filter((r) => r.action === "TerminateSession")).toHaveLength(6);
  expect(requests.filter((r) => r.action === "DescribeSessions")).toHaveLength(3);
  const live = await liveIds();
  for (const id of alice) expect(live).not.toContain(id);
  for (const id of [...bob, untouched]) expect(live).toContain(id);

  // `owner` limits the run to one owner's sessions (server-side filter).
  const bobOnly = await provider.create!({ region: REGION, targets: TARGETS, owner: arn(BOB) });
  expect((bobOnly.outs!.endedSessionIds as string[]).sort()).toEqual([...bob].sort());
  expect(await liveIds()).toEqual([untouched]);
});

describe("invalid inputs fail at check without any API call", () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["no targets", { targets: [] }, "targets", "targets must list at least 1"],
    ["targets missing", {}, "targets", "targets must be a list of strings"],
    ["an empty target", { targets: ["i-1", ""] }, "targets", "targets[1]: must not be empty"],
    [
      "a target too long",
      { targets: ["i".repeat(401)] },
      "targets",
      "targets[0]: must be at most 400 characters",
    ],
    ["a repeated target", { targets: ["i-1", "i-1"] }, "targets", "targets[1]: repeats targets[0]"],
    ["an empty owner", { targets: ["i-1"], owner: "" }, "owner", "owner must not be empty"],
    ["spareOwners not a list", { targets: ["i-1"], spareOwners: "bob" }, "spareOwners", "list"],
    [
      "sparing the owner filtered on",
      { targets: ["i-1"], owner: "arn:aws:iam::1:user/bob", spareOwners: ["bob"] },
      "spareOwners",
      "spareOwners[0] spares the owner the revocation is limited to (owner): nothing would be terminated",
    ],
    ["triggers not a list", { targets: ["i-1"], triggers: 1 }, "triggers", "triggers must be a list"],
    ["an unknown input", { targets: ["i-1"], target: "i-1" }, "target", "is not a known input"],
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

  test("no region anywhere", async () => {
    const provider = createRevocationProvider(ssmSessionRevocationCloud, { env: {}, notice: () => {} });
    const { failures } = await provider.check!({}, { targets: ["i-1"] });
    expect(failures).toEqual([{ property: "region", reason: expect.stringContaining("aws:region") }]);
  });

  test("unknown values are fine at preview, and the owner rule waits for them", async () => {
    const { provider } = await setup();
    expect(
      (await provider.check!({}, { targets: [UNKNOWN], owner: UNKNOWN, spareOwners: ["bob"] })).failures,
    ).toEqual([]);
  });
});
