/**
 * The SSM backend's state machine and options, through the SDK against a protocol-only harness.
 * The data plane is a recorder: these tests play its connection events by hand.
 */
import {
  DescribeSessionsCommand,
  ResumeSessionCommand,
  type Session,
  SSMClient,
  SSMServiceException,
  StartSessionCommand,
  TerminateSessionCommand,
} from "@aws-sdk/client-ssm";
import { ManualClock } from "../../clock";
import { localCloudConfigSchema } from "../../config";
import type { SsmChannelSpec, SsmChannels } from "../../dataplane/ssm/types";
import { RecordingDataPlane, startAwsJsonHarness, type Harness } from "../../protocol/testing/awsJsonHarness";
import { createSsmService, type SsmServiceOptions } from ".";

const LONG_KEY = "AKIA" + "L".repeat(86);
const CRED = { accessKeyId: "AKIALOCAL0000001", accessKeySecret: "local-secret" };
const REGION = "eu-west-1";
const NODE = "i-0123456789abcdef0";
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Records what the backend asks of the SSM data plane; tests play its connection events. */
class RecordingChannels implements SsmChannels {
  readonly opened: SsmChannelSpec[] = [];
  readonly closed: Array<{ sessionId: string; reason: string }> = [];

  open(spec: SsmChannelSpec): { url: string } {
    this.opened.push(spec);
    return { url: `ws://127.0.0.1:9/v1/data-channel/${spec.sessionId}?role=publish_subscribe` };
  }

  close(sessionId: string, reason: string): void {
    this.closed.push({ sessionId, reason });
  }

  /** The latest registration of a session (ResumeSession registers again with a new token). */
  channel(sessionId: string): SsmChannelSpec {
    const spec = [...this.opened].reverse().find((s) => s.sessionId === sessionId);
    if (!spec) throw new Error(`no channel for ${sessionId}`);
    return spec;
  }
}

interface Rig {
  clock: ManualClock;
  dataPlane: RecordingChannels;
  harness: Harness;
  client(region?: string, accessKeyId?: string): SSMClient;
}

const rigs: Harness[] = [];
afterAll(async () => Promise.all(rigs.map((h) => h.close())));

async function rig(options: SsmServiceOptions = {}): Promise<Rig> {
  const clock = new ManualClock(new Date("2025-03-01T12:00:00Z"));
  const dataPlane = new RecordingChannels();
  const config = {
    ...localCloudConfigSchema.parse({
      ssm: {
        targets: [
          { target: NODE, region: REGION },
          { target: NODE, region: "cn-north-1" },
        ],
      },
    }),
    credentials: [CRED, { accessKeyId: LONG_KEY, accessKeySecret: "s" }],
  };
  const deps = {
    clock,
    dataPlane: new RecordingDataPlane(),
    ssmDataPlane: dataPlane,
    changed: () => undefined,
  };
  const service = createSsmService(config, deps, options);
  const harness = await startAwsJsonHarness({ credentials: config.credentials, services: [service] });
  rigs.push(harness);
  return {
    clock,
    dataPlane,
    harness,
    client: (region = REGION, accessKeyId = CRED.accessKeyId) =>
      new SSMClient({
        region,
        endpoint: harness.endpoint,
        credentials: { accessKeyId, secretAccessKey: accessKeyId === LONG_KEY ? "s" : CRED.accessKeySecret },
        maxAttempts: 1,
      }),
  };
}

async function find(
  r: Rig,
  sessionId: string,
  state: "Active" | "History",
  region = REGION,
): Promise<Session | undefined> {
  const out = await r
    .client(region)
    .send(new DescribeSessionsCommand({ State: state, Filters: [{ key: "SessionId", value: sessionId }] }));
  return out.Sessions?.[0];
}

async function startOne(
  r: Rig,
  documentName?: string,
  parameters?: Record<string, string[]>,
): Promise<string> {
  const out = await r
    .client()
    .send(new StartSessionCommand({ Target: NODE, DocumentName: documentName, Parameters: parameters }));
  return out.SessionId ?? "";
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

describe("channel registration", () => {
  it("hands the data plane the mode each document implies", async () => {
    const r = await rig();
    const cases: Array<[string | undefined, Record<string, string[]> | undefined, unknown]> = [
      [undefined, undefined, { kind: "shell" }],
      [
        "AWS-StartPortForwardingSession",
        { portNumber: ["8080"] },
        { kind: "port", port: 8080, localPortNumber: "0", localPortForwarding: true },
      ],
      [
        "AWS-StartPortForwardingSession",
        undefined,
        { kind: "port", port: 80, localPortNumber: "0", localPortForwarding: true },
      ],
      [
        "AWS-StartPortForwardingSessionToRemoteHost",
        { host: ["db"], portNumber: ["5432"], localPortNumber: ["15432"] },
        { kind: "port", port: 5432, host: "db", localPortNumber: "15432", localPortForwarding: true },
      ],
      ["AWS-StartSSHSession", undefined, { kind: "port", port: 22, localPortForwarding: false }],
      [
        "AWS-StartInteractiveCommand",
        { command: ["top"] },
        { kind: "command", commandLine: "top", interactive: true },
      ],
      [
        "AWS-StartNonInteractiveCommand",
        { command: ["ls -l"] },
        { kind: "command", commandLine: "ls -l", interactive: false },
      ],
    ];
    for (const [doc, params, mode] of cases) {
      const id = await startOne(r, doc, params);
      const spec = r.dataPlane.channel(id);
      expect(spec.kind).toEqual(mode);
      expect(spec.target).toBe(NODE);
      expect(spec.tokenExpiresAt.getTime() - r.clock.now().getTime()).toBe(10 * MINUTE);
      expect(spec.idleTimeoutMs).toBe(20 * MINUTE);
    }
  });
});

describe("status from channel events", () => {
  it("Connecting -> Connected -> Disconnected -> Connected, then the idle timeout terminates", async () => {
    const r = await rig();
    const id = await startOne(r);
    const spec = r.dataPlane.channel(id);
    const status = async () =>
      (await find(r, id, "Active"))?.Status ?? (await find(r, id, "History"))?.Status;

    spec.onConnectionState("c1", "Connecting");
    expect(await status()).toBe("Connecting");
    spec.onConnectionState("c1", "Connected");
    expect(await status()).toBe("Connected");
    spec.onConnectionState("c1", "Disconnected", "ClientDisconnected");
    expect(await status()).toBe("Disconnected");
    spec.onConnectionState("c2", "Connecting");
    spec.onConnectionState("c2", "Connected");
    expect(await status()).toBe("Connected");
    r.clock.advance(MINUTE);
    spec.onConnectionState("c2", "Terminated", "IdleTimeout");
    const ended = await find(r, id, "History");
    expect(ended?.Status).toBe("Terminated");
    expect(ended?.EndDate?.getTime()).toBe(r.clock.now().getTime());
    expect(r.dataPlane.closed).toContainEqual({ sessionId: id, reason: "IdleTimeout" });
  });

  it("stays Connected while another connection is up", async () => {
    const r = await rig();
    const id = await startOne(r, "AWS-StartPortForwardingSession");
    const spec = r.dataPlane.channel(id);
    spec.onConnectionState("a", "Connected");
    spec.onConnectionState("b", "Connected");
    spec.onConnectionState("a", "Disconnected", "ClientDisconnected");
    expect((await find(r, id, "Active"))?.Status).toBe("Connected");
  });

  it("ends the session when the agent ends it, but only disconnects when the client leaves", async () => {
    const r = await rig();
    const shell = await startOne(r);
    r.dataPlane.channel(shell).onConnectionState("c", "Connected");
    r.dataPlane.channel(shell).onConnectionState("c", "Terminated", "ChannelEnded");
    expect((await find(r, shell, "History"))?.Status).toBe("Terminated");
    expect(r.dataPlane.closed).toContainEqual({ sessionId: shell, reason: "ChannelEnded" });

    const fwd = await startOne(r, "AWS-StartPortForwardingSession");
    r.dataPlane.channel(fwd).onConnectionState("c", "Connected");
    r.dataPlane.channel(fwd).onConnectionState("c", "Disconnected", "MessageFormatInvalid");
    expect((await find(r, fwd, "Active"))?.Status).toBe("Disconnected");
  });

  it("fails a session whose first connection fails, and only disconnects one that had connected", async () => {
    const r = await rig();
    const never = await startOne(r);
    r.dataPlane.channel(never).onConnectionState("c", "Connecting");
    r.dataPlane.channel(never).onConnectionState("c", "Failed", "TargetNotConnected");
    const failed = await find(r, never, "History");
    expect(failed?.Status).toBe("Failed");
    expect(failed?.EndDate).toBeDefined();
    expect(r.dataPlane.closed).toContainEqual({ sessionId: never, reason: "TargetNotConnected" });

    const had = await startOne(r, "AWS-StartPortForwardingSession");
    r.dataPlane.channel(had).onConnectionState("c", "Connected");
    r.dataPlane.channel(had).onConnectionState("c", "Disconnected", "ClientDisconnected");
    expect((await find(r, had, "Active"))?.Status).toBe("Disconnected");
    // A later refused connection does not end the session either.
    r.dataPlane.channel(had).onConnectionState("d", "Failed", "TargetNotConnected");
    expect((await find(r, had, "Active"))?.Status).toBe("Disconnected");
  });

  it("ignores events that arrive after termination, and from a channel superseded by ResumeSession", async () => {
    const r = await rig();
    const id = await startOne(r);
    const first = r.dataPlane.channel(id);
    first.onConnectionState("old", "Connected");
    const resumed = await r.client().send(new ResumeSessionCommand({ SessionId: id }));
    // The same StreamUrl with a new token; the session is not closed.
    expect(r.dataPlane.closed).toEqual([]);
    expect(resumed.StreamUrl).toBe(`ws://127.0.0.1:9/v1/data-channel/${id}?role=publish_subscribe`);
    expect(resumed.TokenValue).toBe(r.dataPlane.channel(id).token);
    expect(resumed.TokenValue).not.toBe(first.token);
    // Events from a connection made with the old token change nothing.
    first.onConnectionState("old", "Terminated", "ChannelEnded");
    expect((await find(r, id, "Active"))?.Status).toBe("Disconnected");
    r.dataPlane.channel(id).onConnectionState("new", "Connected");
    expect((await find(r, id, "Active"))?.Status).toBe("Connected");

    await r.client().send(new TerminateSessionCommand({ SessionId: id }));
    r.dataPlane.channel(id).onConnectionState("late", "Connected");
    expect((await find(r, id, "History"))?.Status).toBe("Terminated");
  });
});

describe("options", () => {
  it("terminatingMs: Terminating is visible in Active until the clock passes it", async () => {
    const r = await rig({ terminatingMs: 3000 });
    const id = await startOne(r);
    const at = r.clock.now().getTime();
    await r.client().send(new TerminateSessionCommand({ SessionId: id }));
    expect((await find(r, id, "Active"))?.Status).toBe("Terminating");
    expect((await failure(r.client().send(new ResumeSessionCommand({ SessionId: id })))).name).toBe(
      "DoesNotExistException",
    );
    // Terminating again neither fails nor restarts the countdown.
    r.clock.advance(2000);
    await r.client().send(new TerminateSessionCommand({ SessionId: id }));
    r.clock.advance(1000);
    const s = await find(r, id, "History");
    expect(s?.Status).toBe("Terminated");
    expect(s?.EndDate?.getTime()).toBe(at + 3000);
  });

  it("maxSessionDurationMinutes: reported, and the session ends when it elapses", async () => {
    const r = await rig({ maxSessionDurationMinutes: 60 });
    const id = await startOne(r);
    const started = r.clock.now().getTime();
    expect((await find(r, id, "Active"))?.MaxSessionDuration).toBe("60");
    r.clock.advance(61 * MINUTE);
    const s = await find(r, id, "History");
    expect(s?.Status).toBe("Terminated");
    expect(s?.EndDate?.getTime()).toBe(started + 60 * MINUTE);
    expect(r.dataPlane.closed.map((c) => c.sessionId)).toContain(id);
  });

  it('terminateUnknown: "succeed" echoes an unknown id, as the current service model allows', async () => {
    const r = await rig({ terminateUnknown: "succeed" });
    const out = await r.client().send(new TerminateSessionCommand({ SessionId: "nobody-01" }));
    expect(out.SessionId).toBe("nobody-01");
    // Known sessions still terminate, idempotently.
    const id = await startOne(r);
    await r.client().send(new TerminateSessionCommand({ SessionId: id }));
    await r.client().send(new TerminateSessionCommand({ SessionId: id }));
  });

  it('terminateEnded: "ValidationException" reproduces what AWS was reported to answer for an ended session', async () => {
    const r = await rig({ terminateEnded: "ValidationException" });
    const id = await startOne(r);
    await r.client().send(new TerminateSessionCommand({ SessionId: id }));
    const e = await failure(r.client().send(new TerminateSessionCommand({ SessionId: id })));
    expect(e.name).toBe("ValidationException");
    expect(e.message).toBe("Session is not in a valid state");
  });

  it("History keeps terminated sessions for 30 days", async () => {
    const r = await rig();
    const id = await startOne(r);
    await r.client().send(new TerminateSessionCommand({ SessionId: id }));
    r.clock.advance(29 * DAY);
    expect(await find(r, id, "History")).toBeDefined();
    r.clock.advance(2 * DAY);
    expect(await find(r, id, "History")).toBeUndefined();
  });
});

describe("identity", () => {
  it("builds the Owner ARN in the region's partition", async () => {
    const r = await rig();
    const out = await r.client("cn-north-1").send(new StartSessionCommand({ Target: NODE }));
    expect((await find(r, out.SessionId ?? "", "Active", "cn-north-1"))?.Owner).toBe(
      `arn:aws-cn:iam::000000000000:user/${CRED.accessKeyId}`,
    );
  });

  it("keeps SessionId within 96 characters for a long caller name", async () => {
    const r = await rig();
    const out = await r.client(REGION, LONG_KEY).send(new StartSessionCommand({ Target: NODE }));
    expect(out.SessionId).toHaveLength(96);
    expect(out.SessionId).toMatch(/-0[0-9a-f]{16}$/);
  });
});
