/**
 * SSM Session Manager on the local cloud, driven only by the official @aws-sdk/client-ssm (and `ws`
 * for the data plane): every action, every modeled error, paging, filters, History.
 */
import {
  DescribeSessionsCommand,
  type DescribeSessionsCommandInput,
  DoesNotExistException,
  InvalidDocument,
  InvalidFilterKey,
  InvalidNextToken,
  ResumeSessionCommand,
  type Session,
  SSMClient,
  SSMServiceException,
  StartSessionCommand,
  type StartSessionCommandInput,
  TargetNotConnected,
  TerminateSessionCommand,
} from "@aws-sdk/client-ssm";
import { ManualClock } from "../../clock";
import { startLocalCloud, type LocalCloud } from "../../server";
import { connectSession, handshakeStatus } from "../../testing/wsClient";

const CRED = { accessKeyId: "AKIALOCAL0000001", accessKeySecret: "local-secret" };
const OTHER = { accessKeyId: "AKIALOCAL0000009", accessKeySecret: "other-secret" };
const REGION = "eu-west-1";
const NODE = "i-0123456789abcdef0";

let cloud: LocalCloud;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  cloud = await startLocalCloud(
    {
      credentials: [CRED, OTHER],
      ssm: {
        targets: [
          { target: NODE, region: REGION },
          { target: "i-0offline000000000", region: REGION, connected: false },
          { target: "mi-0123456789abcdef0", region: "us-east-1" },
          { target: "i-0paging0000000000", region: "ap-northeast-1" },
          { target: "i-0filters000000000", region: "ap-south-1" },
        ],
      },
    },
    { clock },
  );
});

afterAll(async () => {
  await cloud.stop();
});

function ssm(region = REGION, cred = CRED): SSMClient {
  return new SSMClient({
    region,
    endpoint: cloud.url,
    credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.accessKeySecret },
    maxAttempts: 1,
  });
}

async function start(input: Partial<StartSessionCommandInput> = {}, region = REGION) {
  return ssm(region).send(new StartSessionCommand({ Target: NODE, ...input }));
}

async function describe_(input: Partial<DescribeSessionsCommandInput>, region = REGION) {
  return ssm(region).send(new DescribeSessionsCommand({ State: "Active", ...input }));
}

async function one(
  sessionId: string,
  state: "Active" | "History",
  region = REGION,
): Promise<Session | undefined> {
  const out = await describe_({ State: state, Filters: [{ key: "SessionId", value: sessionId }] }, region);
  return out.Sessions?.[0];
}

async function failure(promise: Promise<unknown>): Promise<SSMServiceException> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof SSMServiceException) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

describe("StartSession", () => {
  it("returns a SessionId shaped like AWS's, a token, and a data-plane StreamUrl", async () => {
    const out = await start({ Reason: "debugging" });
    expect(out.SessionId).toMatch(/^AKIALOCAL0000001-0[0-9a-f]{16}$/);
    expect(out.TokenValue).toEqual(expect.any(String));
    expect(out.StreamUrl).toBe(
      `ws://127.0.0.1:${cloud.port}/v1/data-channel/${out.SessionId}?role=publish_subscribe`,
    );
    const s = await one(out.SessionId ?? "", "Active");
    expect(s).toMatchObject({
      SessionId: out.SessionId,
      Target: NODE,
      Status: "Connecting",
      Owner: `arn:aws:iam::000000000000:user/${CRED.accessKeyId}`,
      Reason: "debugging",
      AccessType: "Standard",
      OutputUrl: {},
    });
    expect(s?.StartDate?.getTime()).toBe(clock.now().getTime());
    expect(s?.EndDate).toBeUndefined();
    expect(s?.DocumentName).toBeUndefined();
  });

  it("accepts every known session document, by name or ARN", async () => {
    const docs: Array<[string, Record<string, string[]>]> = [
      ["SSM-SessionManagerRunShell", {}],
      ["AWS-StartPortForwardingSession", { portNumber: ["8080"], localPortNumber: ["0"] }],
      ["AWS-StartPortForwardingSessionToRemoteHost", { host: ["db.internal"], portNumber: ["5432"] }],
      ["AWS-StartInteractiveCommand", { command: ["echo hi"] }],
      ["AWS-StartNonInteractiveCommand", { command: ["echo hi"] }],
      ["AWS-StartSSHSession", {}],
      [`arn:aws:ssm:${REGION}::document/AWS-StartSSHSession`, { portNumber: ["2222"] }],
    ];
    for (const [DocumentName, Parameters] of docs) {
      const out = await start({ DocumentName, Parameters });
      const s = await one(out.SessionId ?? "", "Active");
      expect(s?.DocumentName).toBe(DocumentName);
    }
  });

  it("answers an unknown document with InvalidDocument", async () => {
    const e = await failure(start({ DocumentName: "AWS-NoSuchDocument" }));
    expect(e).toBeInstanceOf(InvalidDocument);
    expect(e.name).toBe("InvalidDocument");
    expect(e.$metadata.httpStatusCode).toBe(400);
  });

  it.each([
    ["an unknown target", NODE.replace("0123", "9999"), REGION],
    ["a target whose agent is offline", "i-0offline000000000", REGION],
    ["a target in another region", "mi-0123456789abcdef0", REGION],
  ])("answers %s with TargetNotConnected", async (_what, target, region) => {
    const e = await failure(start({ Target: target }, region));
    expect(e).toBeInstanceOf(TargetNotConnected);
    expect(e.message).toBe(`${target} is not connected.`);
  });

  it("serves managed nodes (mi-) in their own region", async () => {
    const out = await start({ Target: "mi-0123456789abcdef0" }, "us-east-1");
    expect((await one(out.SessionId ?? "", "Active", "us-east-1"))?.Target).toBe("mi-0123456789abcdef0");
    expect(await one(out.SessionId ?? "", "Active", REGION)).toBeUndefined();
  });

  it.each([
    [
      "a missing Target",
      { Target: undefined },
      "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null",
    ],
    [
      "a Target over 400 characters",
      { Target: "i".repeat(401) },
      `1 validation error detected: Value '${"i".repeat(401)}' at 'target' failed to satisfy constraint: ` +
        "Member must have length less than or equal to 400",
    ],
    [
      "a DocumentName off the pattern",
      { DocumentName: "ab" },
      "1 validation error detected: Value 'ab' at 'documentName' failed to satisfy constraint: " +
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.:/]{3,128}$",
    ],
    [
      "an empty Reason",
      { Reason: "" },
      /^2 validation errors detected: Value '' at 'reason' failed .*length greater than or equal to 1; .*pattern/,
    ],
    [
      "a Reason over 256 characters",
      { Reason: "r".repeat(257) },
      /^2 validation errors detected: .*at 'reason'.*less than or equal to 256/,
    ],
    [
      "several bad members at once",
      { Target: "", DocumentName: "x" },
      /^2 validation errors detected: Value '' at 'target' .*; Value 'x' at 'documentName' /,
    ],
  ])("rejects %s with ValidationException", async (_what, input, message) => {
    const e = await failure(
      ssm().send(new StartSessionCommand({ Target: NODE, ...input } as StartSessionCommandInput)),
    );
    expect(e.name).toBe("ValidationException");
    expect(e.$metadata.httpStatusCode).toBe(400);
    if (typeof message === "string") expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
  });

  it.each([
    ["an unknown parameter", "AWS-StartPortForwardingSession", { nope: ["1"] }],
    ["a port that is not a number", "AWS-StartPortForwardingSession", { portNumber: ["http"] }],
    ["a port out of range", "AWS-StartSSHSession", { portNumber: ["70000"] }],
    ["two values for one parameter", "AWS-StartPortForwardingSession", { portNumber: ["1", "2"] }],
    ["a missing required parameter", "AWS-StartInteractiveCommand", {}],
    ["a remote host without host", "AWS-StartPortForwardingSessionToRemoteHost", { portNumber: ["80"] }],
  ])("rejects %s with InvalidParameters", async (_what, DocumentName, Parameters) => {
    const e = await failure(start({ DocumentName, Parameters }));
    expect(e.name).toBe("InvalidParameters");
  });
});

describe("DescribeSessions", () => {
  it("pages newest first with NextToken and MaxResults, without repeats", async () => {
    const region = "ap-northeast-1";
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      ids.push((await start({ Target: "i-0paging0000000000" }, region)).SessionId ?? "");
    }
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const out = await describe_({ MaxResults: 2, NextToken }, region);
      seen.push(...(out.Sessions ?? []).map((s) => s.SessionId ?? ""));
      NextToken = out.NextToken;
      pages++;
    } while (NextToken);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("rejects a token it did not issue, or one from the other State, with InvalidNextToken", async () => {
    const region = "ap-northeast-1";
    const e1 = await failure(describe_({ NextToken: "garbage" }, region));
    expect(e1).toBeInstanceOf(InvalidNextToken);
    const page = await describe_({ MaxResults: 1 }, region);
    const e2 = await failure(describe_({ State: "History", NextToken: page.NextToken }, region));
    expect(e2.name).toBe("InvalidNextToken");
  });

  it("filters by Target, Owner, SessionId, Status, AccessType and start time", async () => {
    const region = "ap-south-1";
    const target = "i-0filters000000000";
    clock.advance(60_000);
    const before = clock.now();
    clock.advance(1000);
    const mine = (await start({ Target: target }, region)).SessionId ?? "";
    const theirs =
      (await ssm(region, OTHER).send(new StartSessionCommand({ Target: target }))).SessionId ?? "";
    const ids = async (filters: Array<{ key: string; value: string }>) =>
      ((await describe_({ Filters: filters as never }, region)).Sessions ?? [])
        .map((s) => s.SessionId)
        .sort();

    expect(await ids([{ key: "Target", value: target }])).toEqual([mine, theirs].sort());
    expect(await ids([{ key: "Owner", value: CRED.accessKeyId }])).toEqual([mine]);
    expect(
      await ids([{ key: "Owner", value: `arn:aws:iam::000000000000:user/${OTHER.accessKeyId}` }]),
    ).toEqual([theirs]);
    expect(await ids([{ key: "SessionId", value: mine }])).toEqual([mine]);
    expect(await ids([{ key: "Status", value: "Connecting" }])).toEqual([mine, theirs].sort());
    expect(await ids([{ key: "Status", value: "Connected" }])).toEqual([]);
    expect(await ids([{ key: "AccessType", value: "Standard" }])).toEqual([mine, theirs].sort());
    expect(await ids([{ key: "AccessType", value: "JustInTime" }])).toEqual([]);
    expect(await ids([{ key: "InvokedAfter", value: before.toISOString() }])).toEqual([mine, theirs].sort());
    expect(await ids([{ key: "InvokedBefore", value: before.toISOString() }])).toEqual([]);
    // Filters combine with AND.
    expect(
      await ids([
        { key: "Target", value: target },
        { key: "Owner", value: OTHER.accessKeyId },
      ]),
    ).toEqual([theirs]);
  });

  it("answers an unknown filter key with InvalidFilterKey", async () => {
    const e = await failure(describe_({ Filters: [{ key: "Colour" as never, value: "blue" }] }));
    expect(e).toBeInstanceOf(InvalidFilterKey);
    expect(e.$metadata.httpStatusCode).toBe(400);
  });

  it.each([
    [
      "a missing State",
      { State: undefined },
      /Value null at 'state' failed to satisfy constraint: Member must not be null/,
    ],
    [
      "an unknown State",
      { State: "Dormant" },
      /Value 'Dormant' at 'state' .*enum value set: \[Active, History\]/,
    ],
    ["MaxResults 0", { MaxResults: 0 }, /Value '0' at 'maxResults' .*greater than or equal to 1/],
    ["MaxResults 201", { MaxResults: 201 }, /Value '201' at 'maxResults' .*less than or equal to 200/],
    ["an empty Filters list", { Filters: [] }, /at 'filters' .*length greater than or equal to 1/],
    [
      "seven filters",
      { Filters: Array.from({ length: 7 }, () => ({ key: "Target", value: NODE })) },
      /at 'filters' .*length less than or equal to 6/,
    ],
    ["an empty filter value", { Filters: [{ key: "Target", value: "" }] }, /at 'filters\.1\.member\.value'/],
    ["a bad Status value", { Filters: [{ key: "Status", value: "Sleeping" }] }, /Status/],
    ["a bad timestamp", { Filters: [{ key: "InvokedAfter", value: "yesterday" }] }, /InvokedAfter/],
  ])("rejects %s with ValidationException", async (_what, input, message) => {
    const e = await failure(describe_(input as Partial<DescribeSessionsCommandInput>));
    expect(e.name).toBe("ValidationException");
    expect(e.message).toMatch(message);
  });
});

describe("TerminateSession", () => {
  it("ends the session: it leaves Active, appears in History as Terminated with an EndDate", async () => {
    const { SessionId = "" } = await start();
    clock.advance(5000);
    const out = await ssm().send(new TerminateSessionCommand({ SessionId }));
    expect(out.SessionId).toBe(SessionId);
    expect(await one(SessionId, "Active")).toBeUndefined();
    const s = await one(SessionId, "History");
    expect(s?.Status).toBe("Terminated");
    expect(s?.EndDate?.getTime()).toBe(clock.now().getTime());
    expect((s?.EndDate?.getTime() ?? 0) - (s?.StartDate?.getTime() ?? 0)).toBe(5000);
  });

  it("is idempotent: terminating again succeeds and changes nothing", async () => {
    const { SessionId = "" } = await start();
    await ssm().send(new TerminateSessionCommand({ SessionId }));
    const end = (await one(SessionId, "History"))?.EndDate;
    clock.advance(1000);
    expect((await ssm().send(new TerminateSessionCommand({ SessionId }))).SessionId).toBe(SessionId);
    expect((await one(SessionId, "History"))?.EndDate).toEqual(end);
  });

  it("answers DoesNotExistException (400) for an id that never existed, as the API reference lists", async () => {
    const e = await failure(
      ssm().send(new TerminateSessionCommand({ SessionId: "nobody-0123456789abcdef0" })),
    );
    expect(e.name).toBe("DoesNotExistException");
    expect(e.$metadata.httpStatusCode).toBe(400);
  });

  it.each([
    ["an empty SessionId", "", /Value '' at 'sessionId' .*length greater than or equal to 1/],
    ["a SessionId over 96 characters", "s".repeat(97), /at 'sessionId' .*length less than or equal to 96/],
  ])("rejects %s with ValidationException", async (_what, SessionId, message) => {
    const e = await failure(ssm().send(new TerminateSessionCommand({ SessionId })));
    expect(e.name).toBe("ValidationException");
    expect(e.message).toMatch(message);
  });

  it("closes the data channel: live connections end and the StreamUrl stops working", async () => {
    const { SessionId = "", StreamUrl = "", TokenValue = "" } = await start();
    const socket = await openChannel(StreamUrl, TokenValue);
    await ssm().send(new TerminateSessionCommand({ SessionId }));
    expect(await socket.closed).toEqual({ code: 1000, reason: "Session ended: TerminateSession" });
    expect(await handshakeStatus(StreamUrl)).toBe(410);
  });
});

describe("ResumeSession", () => {
  it("issues a new token for the same StreamUrl; the old token stops working", async () => {
    const started = await start();
    const resumed = await ssm().send(new ResumeSessionCommand({ SessionId: started.SessionId }));
    expect(resumed.SessionId).toBe(started.SessionId);
    expect(resumed.TokenValue).not.toBe(started.TokenValue);
    expect(resumed.StreamUrl).toBe(started.StreamUrl);
    const stale = await openChannel(started.StreamUrl ?? "", started.TokenValue ?? "");
    expect(await stale.closed).toEqual({ code: 1008, reason: "TokenValue is not valid for this session" });
    const fresh = await openChannel(resumed.StreamUrl ?? "", resumed.TokenValue ?? "");
    // The agent's first message is its HandshakeRequest.
    await fresh.waitFor("RequestedClientActions");
    fresh.ws.close();
    await fresh.closed;
  });

  it("answers a terminated or unknown session with DoesNotExistException", async () => {
    const { SessionId = "" } = await start();
    await ssm().send(new TerminateSessionCommand({ SessionId }));
    const e = await failure(ssm().send(new ResumeSessionCommand({ SessionId })));
    expect(e).toBeInstanceOf(DoesNotExistException);
    const unknown = await failure(ssm().send(new ResumeSessionCommand({ SessionId: "nobody-0123" })));
    expect(unknown.name).toBe("DoesNotExistException");
  });

  it("validates SessionId", async () => {
    const e = await failure(ssm().send(new ResumeSessionCommand({ SessionId: "" })));
    expect(e.name).toBe("ValidationException");
  });
});

// The data channel itself (shell, command, smux port forwarding, refusals) is tested in
// emulator/dataplane/ssm/, with the official session-manager-plugin as the judge.
describe("the data plane behind StreamUrl", () => {
  it("refuses a connection once the target's agent went offline, failing the session", async () => {
    const out = await start();
    const target = cloud.config.ssm.targets.find((t) => t.target === NODE);
    if (!target) throw new Error("target missing");
    target.connected = false;
    try {
      const socket = await openChannel(out.StreamUrl ?? "", out.TokenValue ?? "");
      expect(await socket.closed).toEqual({ code: 1008, reason: "TargetNotConnected" });
      await waitUntil(async () => (await one(out.SessionId ?? "", "History"))?.Status === "Failed");
      expect((await failure(start())).name).toBe("TargetNotConnected");
    } finally {
      target.connected = true;
    }
  });
});

/** Connects to a StreamUrl and opens the data channel with a token, as the plugin does first. */
async function openChannel(streamUrl: string, token: string) {
  const socket = connectSession(streamUrl);
  await socket.opened;
  socket.ws.send(JSON.stringify({ MessageSchemaVersion: "1.0", RequestId: "r-1", TokenValue: token }));
  return socket;
}

it("lists live sessions in the service snapshot", async () => {
  const { SessionId } = await start();
  const service = cloud.services.find((s) => s.name === "ssm");
  const snapshot = service?.snapshot?.() as Array<{ sessionId: string; region: string; status: string }>;
  expect(snapshot).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ sessionId: SessionId, region: REGION, status: "Connecting" }),
    ]),
  );
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
