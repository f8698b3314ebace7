/**
 * aws.SsmSession under the real Pulumi engine, against the in-process local cloud: preview
 * with a target unknown until apply, up, secrets at rest (stack export and raw state), refresh,
 * a session terminated outside Pulumi, replacement, destroy, and invalid inputs rejected at
 * preview without any API call.
 */
import { AdminClient } from "../../emulator/admin/client";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { createSsmClient, findSsmSession, terminateSession } from "../../provider/clients/aws";
import { TestStack, uniqueSuffix, UNKNOWN, type StateResource } from "../support/harness";

jest.setTimeout(600_000);

const TYPE = "pulumi-nodejs:dynamic/aws:SsmSession";
const KEY = { accessKeyId: "AKIAE2ESSMSESSION01", accessKeySecret: "e2e-ssm-session-secret-value" };
const REGION = "us-east-2";
const TARGET = "i-0e2essmsession001";
const OWNER = `arn:aws:iam::000000000000:user/${KEY.accessKeyId}`;

let cloud: LocalCloud;
let admin: AdminClient;

beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [KEY],
    ssm: { targets: [{ target: TARGET, region: REGION }] },
  });
  admin = new AdminClient(cloud);
});
afterAll(() => cloud?.stop());

function newStack(): Promise<TestStack> {
  return TestStack.create({
    program: "ssm-session",
    config: {
      "aws:region": REGION,
      "sessions:ssmEndpoint": cloud.url,
      "e2e:target": TARGET,
      "e2e:port": "5432",
    },
    // Both halves of the key are secret config: neither may reach state in plaintext.
    secrets: { "aws:accessKey": KEY.accessKeyId, "aws:secretKey": KEY.accessKeySecret },
    stackName: `s${uniqueSuffix()}`,
  });
}

const ssm = () =>
  createSsmClient({
    region: REGION,
    endpoint: cloud.url,
    credentials: {
      kind: "static",
      accessKeyId: KEY.accessKeyId,
      secretAccessKey: KEY.accessKeySecret,
      source: "t",
    },
  });

async function ssmCalls(action?: string) {
  return (await admin.requests()).filter((r) => r.service === "ssm" && (!action || r.action === action));
}

async function liveIds(): Promise<string[]> {
  return (((await admin.sessions()).ssm ?? []) as Array<{ sessionId: string; status: string }>)
    .filter((s) => s.status !== "Terminating")
    .map((s) => s.sessionId);
}

const sessionsIn = (stack: TestStack): Promise<StateResource[]> => stack.resourcesOfType(TYPE);

describe("an SsmSession through preview, up, refresh and destroy", () => {
  let stack: TestStack;
  let first: { id: string; tokenValue: string; streamUrl: string };

  beforeAll(async () => {
    stack = await newStack();
  });
  afterAll(async () => {
    await stack.destroy({ allowFailure: true });
    stack.cleanup();
  });

  test("preview plans the session with a target unknown until apply, calling no API", async () => {
    await admin.clearRequests();
    const preview = await stack.preview();
    const step = preview.steps.find((s) => s.newState?.type === TYPE);
    expect(step?.op).toBe("create");
    expect(step!.newState!.inputs!.target).toBe(UNKNOWN);
    expect(step!.newState!.inputs!.region).toBe(REGION);
    expect(step!.newState!.inputs!.parameters).toEqual({ portNumber: ["5432"] });
    expect(await ssmCalls()).toEqual([]);
  });

  test("up starts exactly one session; outputs carry its token, URL, status and owner", async () => {
    await admin.clearRequests();
    await stack.up();
    expect(await ssmCalls("StartSession")).toHaveLength(1);
    const [resource] = await sessionsIn(stack);
    expect(resource.id).toMatch(/^AKIAE2ESSMSESSION01-0[0-9a-f]{16}$/);
    const outputs = await stack.outputs();
    first = {
      id: resource.id!,
      tokenValue: outputs.tokenValue as string,
      streamUrl: outputs.streamUrl as string,
    };
    expect(outputs).toMatchObject({
      sessionId: resource.id,
      status: "Connecting",
      owner: OWNER,
      region: REGION,
    });
    expect(first.tokenValue.length).toBeGreaterThan(20);
    expect(first.streamUrl).toContain(resource.id);
    expect(await liveIds()).toContain(resource.id);

    const stub = resource.inputs!.__provider as string;
    expect(stub).toContain('require("pulumi-sessions/dist/provider/resources/ssmSession")');
    expect(Buffer.byteLength(stub)).toBeLessThan(400);
  });

  test("state holds neither the token, the stream URL nor the access key in plaintext", async () => {
    const [resource] = await sessionsIn(stack);
    expect(resource.additionalSecretOutputs).toEqual(expect.arrayContaining(["tokenValue", "streamUrl"]));
    for (const text of [await stack.exportText(), stack.rawState()]) {
      expect(text).not.toContain(first.tokenValue);
      expect(text).not.toContain(first.streamUrl);
      expect(text).not.toContain(KEY.accessKeySecret);
    }
    // The session id (which, locally, starts with the access key id) is the resource id, not a secret.
    expect(await stack.exportText()).toContain(first.id);
  });

  test("a second preview shows no change", async () => {
    const preview = await stack.preview();
    expect(Object.keys(preview.changeSummary ?? {})).toEqual(["same"]);
  });

  test("refresh keeps a live session and its secret outputs", async () => {
    await stack.refresh();
    const [resource] = await sessionsIn(stack);
    expect(resource.id).toBe(first.id);
    const outputs = await stack.outputs();
    expect(outputs.tokenValue).toBe(first.tokenValue);
    expect(outputs.streamUrl).toBe(first.streamUrl);
    expect(stack.rawState()).not.toContain(first.tokenValue);
  });

  test("a session terminated outside Pulumi disappears on refresh; the next up starts a new one", async () => {
    await terminateSession(ssm(), first.id);
    await stack.refresh();
    expect(await sessionsIn(stack)).toEqual([]);
    await admin.clearRequests();
    await stack.up();
    const [again] = await sessionsIn(stack);
    expect(again.id).not.toBe(first.id);
    expect(await ssmCalls("StartSession")).toHaveLength(1);
    expect(await liveIds()).toContain(again.id);
  });

  test("changing an input replaces the session: the new one starts, then the old one is terminated", async () => {
    const [before] = await sessionsIn(stack);
    await stack.setConfig("e2e:extraInputs", JSON.stringify({ reason: "rotated" }));
    await admin.clearRequests();
    await stack.up();
    const [after] = await sessionsIn(stack);
    expect(after.id).not.toBe(before.id);
    expect((await ssmCalls()).map((r) => r.action).filter((a) => a !== "DescribeSessions")).toEqual([
      "StartSession",
      "TerminateSession",
    ]);
    expect(await liveIds()).toContain(after.id);
    expect(await liveIds()).not.toContain(before.id);
    expect(await findSsmSession(ssm(), after.id!)).toMatchObject({ reason: "rotated" });
  });

  test("destroy terminates the session and leaves nothing live", async () => {
    const [resource] = await sessionsIn(stack);
    await stack.destroy();
    expect(await sessionsIn(stack)).toEqual([]);
    expect(await findSsmSession(ssm(), resource.id!)).toMatchObject({ status: "Terminated" });
    expect(await liveIds()).toEqual([]);
  });
});

describe("invalid inputs fail at preview, naming the field and the rule, before any API call", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await newStack();
  });
  afterAll(() => stack.cleanup());

  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["an empty target", { target: "" }, "target", "target must not be empty (rule 1..400 characters)"],
    ["a target over 400 characters", { target: "i".repeat(401) }, "target", "rule 1..400 characters"],
    [
      "a document name with a space",
      { documentName: "AWS Start" },
      "documentName",
      "rule pattern ^[a-zA-Z0-9_",
    ],
    ["a two-character document name", { documentName: "ab" }, "documentName", "3 to 128 characters"],
    ["an empty reason", { reason: "" }, "reason", "reason must not be empty (rule 1..256 characters)"],
    ["a reason over 256 characters", { reason: "r".repeat(257) }, "reason", "rule 1..256 characters"],
    ["a multi-line reason", { reason: "line one\nline two" }, "reason", "reason must be a single line"],
    [
      "a parameter value that is not a list",
      { parameters: { portNumber: "22" } },
      "parameters.portNumber",
      "must be a list of strings",
    ],
    [
      "an empty parameter value",
      { parameters: { portNumber: [""] } },
      "parameters.portNumber[0]",
      "must not be empty",
    ],
    [
      "a parameter name over 255 characters",
      { parameters: { ["p".repeat(256)]: ["1"] } },
      "parameters",
      "1 to 255",
    ],
    ["an unknown input", { sessionName: "x" }, "sessionName", "is not a known input"],
  ];

  test("no region anywhere (no region input, no aws:region, no AWS_REGION)", async () => {
    const bare = await TestStack.create({
      program: "ssm-session",
      config: { "sessions:ssmEndpoint": cloud.url, "e2e:target": TARGET, "e2e:port": "22" },
      secrets: { "aws:accessKey": KEY.accessKeyId, "aws:secretKey": KEY.accessKeySecret },
      env: { AWS_REGION: "", AWS_DEFAULT_REGION: "" },
      stackName: `s${uniqueSuffix()}`,
    });
    try {
      await admin.clearRequests();
      const preview = await bare.preview({ allowFailure: true });
      expect(preview.code).not.toBe(0);
      expect(`${preview.stdout}\n${preview.stderr}`).toContain(
        "region is required: set the region input, the stack config aws:region, or AWS_REGION",
      );
      expect(await admin.requests()).toEqual([]);
    } finally {
      bare.cleanup();
    }
  });

  test.each(cases)("%s", async (_name, extra, property, rule) => {
    await stack.setConfig("e2e:extraInputs", JSON.stringify(extra));
    await admin.clearRequests();
    const preview = await stack.preview({ allowFailure: true });
    expect(preview.code).not.toBe(0);
    const output = `${preview.stdout}\n${preview.stderr}`;
    expect(output).toContain(property);
    expect(output).toContain(rule);
    expect(await admin.requests()).toEqual([]);
  });
});
