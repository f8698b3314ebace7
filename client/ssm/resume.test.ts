/**
 * Our SSM client resumes a session whose WebSocket drops (the local cloud's admin API cuts it as a
 * network would): through ResumeSession, the forward's TCP connections and a shell carry on with
 * every byte once and in order; past the reconnection budget the session ends with
 * `ReconnectFailed`, and the process goes on serving sessions.
 */
import { connect } from "node:net";
import { PassThrough } from "node:stream";
import { TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { AdminClient } from "../../emulator/admin/client";
import { roundTrip, startSsmTestCloud, type SsmTestCloud } from "../../emulator/dataplane/ssm/testing/cloud";
import { exchange, startHashingEcho, type HashingEcho } from "./testing/forwardLoad";
import { forwardPort, openShell, resumeWith, SessionProtocolError, type SsmReconnectEvent } from ".";

let t: SsmTestCloud;
let admin: AdminClient;
let target: HashingEcho;

beforeAll(async () => {
  t = await startSsmTestCloud();
  admin = new AdminClient(t.cloud);
  target = await startHashingEcho();
});

afterAll(async () => {
  await target.close();
  await t.stop();
});

afterEach(() => admin.clearDataPlaneFaults());

const forwardSession = (port: number) =>
  t.start({ DocumentName: "AWS-StartPortForwardingSession", Parameters: { portNumber: [String(port)] } });

/** Resolves once `events` holds `count` events with `outcome`. */
function until(events: SsmReconnectEvent[], outcome: SsmReconnectEvent["outcome"], count = 1): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (events.filter((e) => e.outcome === outcome).length < count) return;
      clearInterval(check);
      resolve();
    }, 10);
  });
}

describe("SSM resume against the local cloud", () => {
  it("carries 64 MB over 20 concurrent connections across 10 forced drops: no byte lost or duplicated, no connection reset", async () => {
    const s = await forwardSession(target.port);
    const events: SsmReconnectEvent[] = [];
    const fwd = await forwardPort(
      { streamUrl: s.StreamUrl, tokenValue: s.TokenValue, sessionId: s.SessionId },
      { resume: resumeWith(t.ssm, s.SessionId), onReconnect: (e) => events.push(e) },
    );
    const perConnection = Math.ceil((64 * 1024 * 1024) / 20);
    const progress = { echoed: 0 };
    const load = Promise.all(Array.from({ length: 20 }, () => exchange(fwd.port, perConnection, progress)));
    // Ten drops spread over the transfer: one each time another 5.5 MB came back, once resumed.
    for (let drop = 1; drop <= 10; drop++) {
      await waitFor(() => progress.echoed >= drop * 5.5 * 1024 * 1024);
      const rule = await admin.addDataPlaneFault({
        plane: "ssm",
        sessionId: s.SessionId,
        kind: "drop",
        at: "now",
      });
      expect(rule.applied).toBe(1);
      await until(events, "resumed", drop);
    }
    const exchanges = await load;

    expect(exchanges.filter((x) => x.error)).toEqual([]);
    for (const x of exchanges) expect(x.echoed).toEqual(x.sent);
    // What each target connection received is what one client sent, once.
    await waitFor(() => target.received.length === 20);
    expect(target.received.map((r) => r.sha256).sort()).toEqual(exchanges.map((x) => x.sent.sha256).sort());
    expect(events.filter((e) => e.outcome === "resumed")).toHaveLength(10);
    expect(events.filter((e) => e.outcome === "gave-up")).toEqual([]);
    expect((await fwd.close()).closedBy).toBe("service");
    expect(await t.status(s.SessionId)).toBe("Terminated");
  });

  it("keeps an interactive shell across a drop: a command typed after the drop gets its output", async () => {
    const s = await t.start();
    const input = new PassThrough();
    const output = new PassThrough();
    let seen = "";
    output.on("data", (d: Buffer) => (seen += d.toString()));
    const events: SsmReconnectEvent[] = [];
    const shell = await openShell(
      { streamUrl: s.StreamUrl, tokenValue: s.TokenValue },
      { input, output, resume: resumeWith(t.ssm, s.SessionId), onReconnect: (e) => events.push(e) },
    );
    input.write("echo BEFORE$((40+2))\r");
    await waitFor(() => seen.includes("BEFORE42"));
    await admin.addDataPlaneFault({ plane: "ssm", sessionId: s.SessionId, kind: "drop", at: "now" });
    // Typed while the connection is gone: it waits, then goes out on the resumed connection.
    input.write("echo AFTER$((50+5))\r");
    await until(events, "resumed");
    await waitFor(() => seen.includes("AFTER55"));
    input.write("exit 0\r");
    expect((await shell.done).closedBy).toBe("service");
    expect(events.map((e) => e.outcome)).toEqual(["retrying", "resumed"]);
    expect(events[0].reason).toMatch(/^WebSocket close 1006/);
  });

  it("ends the session with ReconnectFailed once the budget is spent (refused tokens count as failed attempts); the process goes on", async () => {
    const s = await forwardSession(target.port);
    const events: SsmReconnectEvent[] = [];
    const refusedToken = "refused-token-value-0001";
    const fwd = await forwardPort(
      { streamUrl: s.StreamUrl, tokenValue: s.TokenValue },
      {
        resume: () => Promise.resolve({ streamUrl: s.StreamUrl, tokenValue: refusedToken }),
        reconnect: { budgetMs: 1500, baseDelayMs: 50, maxDelayMs: 200 },
        onReconnect: (e) => events.push(e),
      },
    );
    await roundTrip(fwd.port, 10_000);
    await admin.addDataPlaneFault({ plane: "ssm", sessionId: s.SessionId, kind: "drop", at: "now" });

    const failure = await fwd.done.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(SessionProtocolError);
    expect(failure).toMatchObject({ code: "ReconnectFailed" });
    expect((failure as Error).message).toMatch(/no connection within 1500 ms after \d+ attempts/);
    const last = events[events.length - 1];
    expect(last.outcome).toBe("gave-up");
    expect(events.filter((e) => e.outcome === "resumed")).toEqual([]);
    // Each attempt was refused with the local cloud's reason; no token is ever in it.
    expect(last.reason).toMatch(/1008 TokenValue is not valid for this session/);
    for (const e of events) expect(e.reason).not.toContain(refusedToken);
    expect(events.length).toBeGreaterThan(2);
    // The listener is gone with the session.
    await expect(refused(fwd.port)).resolves.toBe("ECONNREFUSED");

    // The process goes on: a new session carries bytes.
    await t.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
    const fresh = await forwardSession(target.port);
    const next = await forwardPort({ streamUrl: fresh.StreamUrl, tokenValue: fresh.TokenValue });
    await roundTrip(next.port, 100_000);
    expect((await next.close()).closedBy).toBe("service");
  });

  it("gives up at once when ResumeSession says the session is gone (terminated during the outage), not at the end of the budget", async () => {
    const s = await forwardSession(target.port);
    const events: SsmReconnectEvent[] = [];
    const resume = resumeWith(t.ssm, s.SessionId);
    const fwd = await forwardPort(
      { streamUrl: s.StreamUrl, tokenValue: s.TokenValue },
      {
        // Someone terminates the session while our connection is down.
        resume: async () => {
          await t.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
          return resume();
        },
        reconnect: { budgetMs: 60_000, baseDelayMs: 50, maxDelayMs: 200 },
        onReconnect: (e) => events.push(e),
      },
    );
    await roundTrip(fwd.port, 10_000);
    await admin.addDataPlaneFault({ plane: "ssm", sessionId: s.SessionId, kind: "drop", at: "now" });
    const startedAt = Date.now();
    const failure = await fwd.done.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(SessionProtocolError);
    expect(failure).toMatchObject({ code: "ReconnectFailed" });
    expect((failure as Error).message).toMatch(/session .* has ended/);
    expect(events.map((e) => e.outcome)).toEqual(["retrying", "gave-up"]);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});

function waitFor(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (!condition()) return;
      clearInterval(check);
      resolve();
    }, 10);
  });
}

/** The error code of connecting to `port` (undefined when it connects). */
function refused(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}
