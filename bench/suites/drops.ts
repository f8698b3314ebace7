/**
 * An SSM port forward through forced WebSocket drops: concurrent connections through one
 * port-forwarding session each carry a known pseudo-random stream to an echo target while the
 * local cloud's admin API drops the session's WebSocket (as a network does: no close frame).
 * Per arm: bytes lost and duplicated, connections that survived intact, drops done, resumes
 * asked for, time. Our client (resuming through ResumeSession) and the official plugin, on the
 * same local cloud; each arm stops by itself at a deadline or when nothing moved for a while.
 */
import { TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { performance } from "node:perf_hooks";
import * as ssm from "../../client/ssm";
import { AdminClient } from "../../emulator/admin/client";
import {
  startSsmTestCloud,
  CRED,
  NODE,
  REGION,
  type SsmTestCloud,
} from "../../emulator/dataplane/ssm/testing/cloud";
import { officialPlugin, runPlugin } from "../../emulator/dataplane/ssm/testing/plugin";
import { startHashingEcho } from "../../client/ssm/testing/forwardLoad";
import { checkedEcho, type CheckedEcho, type EchoProgress } from "../lib/checkedEcho";
import type { Figure, SuiteResult } from "../lib/types";

export interface DropsOptions {
  /** Bytes through each arm, spread evenly over the connections (64 MB by default). */
  transferBytes: number;
  /** Concurrent TCP connections through the one session. */
  connections: number;
  /** WebSocket drops forced on the session. */
  drops: number;
  /** An arm ends this long after it started, whatever is still in flight. */
  deadlineMs: number;
  /** An arm ends once no byte came back for this long. */
  stallMs: number;
}

const MB = 2 ** 20;

/** A forwarded port of one arm. */
interface Forward {
  port: number;
  /** Ends the forward and its session; never rejects. */
  close(): Promise<void>;
  /** What the client reported about the drops (in words, for the figure). */
  notes(): Record<string, unknown>;
}

/** Why an arm stopped. */
type Stop = "all connections ended" | "deadline" | "stalled";

interface ArmResult {
  bytes: number;
  /** Complete, intact, not reset. */
  surviving: number;
  /** Reset or closed before everything came back. */
  cut: number;
  /** Still waiting for bytes when the arm stopped. */
  unfinished: number;
  /** Came back with bytes that differ from the stream. */
  changed: number;
  /** Bytes sent that never came back. */
  lostBytes: number;
  /** Bytes that came back beyond what was sent. */
  duplicatedBytes: number;
  dropsDone: number;
  /** ResumeSession calls the local cloud answered for the session. */
  resumes: number;
  ms: number;
  /** When the last byte came back, from the start. */
  lastByteMs: number;
  stoppedBy: Stop;
  notes: Record<string, unknown>;
  connections: CheckedEcho[];
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** How often an arm looks at its progress: when the next drop is due, and whether it must stop. */
const TICK_MS = 50;

/**
 * Runs `connections` checked echoes of `bytes` in all through `port` until they end, the
 * deadline, or a stall; calls `drop` (which answers how many WebSockets it dropped) each time
 * another 1 / (drops + 1) of the bytes came back, so every drop falls inside the transfer
 * whatever the arm's speed. A drop that found no live WebSocket (the client was between two)
 * is tried again at the next tick.
 */
async function carry(
  port: number,
  bytes: number,
  options: DropsOptions,
  drop: () => Promise<number>,
): Promise<{ echoes: CheckedEcho[]; ms: number; lastByteMs: number; stoppedBy: Stop; dropsDone: number }> {
  const each = Math.floor(bytes / options.connections);
  const abort = new AbortController();
  const progress: EchoProgress[] = Array.from({ length: options.connections }, () => ({ echoed: 0 }));
  const start = performance.now();
  let stoppedBy: Stop = "all connections ended";
  let moved = { at: start, echoed: 0 };
  let dropsDone = 0;
  let dropping = false;
  const watchdog = setInterval(() => {
    const now = performance.now();
    const echoed = progress.reduce((sum, p) => sum + p.echoed, 0);
    if (echoed !== moved.echoed) moved = { at: now, echoed };
    const due = dropsDone < options.drops && echoed >= ((dropsDone + 1) * bytes) / (options.drops + 1);
    if (due && !dropping) {
      dropping = true;
      void drop()
        .then((dropped) => void (dropsDone += dropped > 0 ? 1 : 0))
        .finally(() => (dropping = false));
    }
    const why: Stop | undefined =
      now - start >= options.deadlineMs
        ? "deadline"
        : now - moved.at >= options.stallMs
          ? "stalled"
          : undefined;
    if (why === undefined) return;
    stoppedBy = why;
    abort.abort();
  }, TICK_MS);
  try {
    const echoes = await Promise.all(progress.map((p, i) => checkedEcho(port, i, each, abort.signal, p)));
    return { echoes, ms: performance.now() - start, lastByteMs: moved.at - start, stoppedBy, dropsDone };
  } finally {
    clearInterval(watchdog);
  }
}

/** One arm: a fresh port-forwarding session to the echo target, opened by `open`, through the drops. */
async function arm(
  t: SsmTestCloud,
  echoPort: number,
  admin: AdminClient,
  bytes: number,
  options: DropsOptions,
  open: (session: { SessionId: string; TokenValue: string; StreamUrl: string }) => Promise<Forward>,
): Promise<ArmResult> {
  const session = await t.start({
    DocumentName: "AWS-StartPortForwardingSession",
    Parameters: { portNumber: [String(echoPort)] },
  });
  const forward = await open(session);
  try {
    const drop = async () =>
      (await admin.addDataPlaneFault({ plane: "ssm", sessionId: session.SessionId, kind: "drop", at: "now" }))
        .applied;
    const { echoes, ms, lastByteMs, stoppedBy, dropsDone } = await carry(forward.port, bytes, options, drop);
    const resumes = (await admin.requests()).filter(
      (r) => r.action === "ResumeSession" && r.status === 200 && r.params?.SessionId === session.SessionId,
    ).length;
    const intactAll = (e: CheckedEcho) => e.intact === e.sent && e.echoed === e.sent;
    return {
      bytes,
      surviving: echoes.filter((e) => e.end === "complete" && intactAll(e)).length,
      cut: echoes.filter((e) => e.end === "cut").length,
      unfinished: echoes.filter((e) => e.end === "aborted").length,
      changed: echoes.filter((e) => e.intact < Math.min(e.sent, e.echoed)).length,
      lostBytes: echoes.reduce((sum, e) => sum + Math.max(0, e.sent - e.echoed), 0),
      duplicatedBytes: echoes.reduce((sum, e) => sum + Math.max(0, e.echoed - e.sent), 0),
      dropsDone,
      resumes,
      ms,
      lastByteMs,
      stoppedBy,
      notes: forward.notes(),
      connections: echoes,
    };
  } finally {
    await forward.close();
  }
}

/** Our client: forwardPort resuming through ResumeSession with the SDK client of the local cloud. */
async function ours(
  t: SsmTestCloud,
  session: { SessionId: string; TokenValue: string; StreamUrl: string },
): Promise<Forward> {
  const events: ssm.SsmReconnectEvent[] = [];
  const fwd = await ssm.forwardPort(
    { streamUrl: session.StreamUrl, tokenValue: session.TokenValue, sessionId: session.SessionId },
    { resume: ssm.resumeWith(t.ssm, session.SessionId), onReconnect: (e) => events.push(e) },
  );
  let ended: string | undefined;
  fwd.done.then(
    (end) => (ended = `session ended (${end.closedBy})`),
    (err: unknown) => (ended = `session failed: ${err instanceof Error ? err.message : String(err)}`),
  );
  return {
    port: fwd.port,
    close: async () => void (await fwd.close()),
    notes: () => ({
      resumed: events.filter((e) => e.outcome === "resumed").length,
      retries: events.filter((e) => e.outcome === "retrying").length,
      gaveUp: events.some((e) => e.outcome === "gave-up"),
      ...(ended !== undefined ? { ended } : {}),
    }),
  };
}

/** How long the plugin gets to exit after TerminateSession before it is killed. */
const PLUGIN_EXIT_MS = 10_000;

/** The official plugin, run as the AWS CLI runs it, with the local cloud as its endpoint (its ResumeSession goes there). */
async function plugin(
  t: SsmTestCloud,
  bin: string,
  session: { SessionId: string; TokenValue: string; StreamUrl: string },
): Promise<Forward> {
  const run = runPlugin({
    plugin: bin,
    endpoint: t.cloud.url,
    region: REGION,
    credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret },
    response: session,
    request: { Target: NODE, DocumentName: "AWS-StartPortForwardingSession" },
  });
  let exitedOnItsOwn: number | null | undefined;
  let closing = false;
  void run.exited.then((code) => {
    if (!closing) exitedOnItsOwn = code;
  });
  const [, port] = await run.waitFor(/Port (\d+) opened for sessionId/);
  return {
    port: Number(port),
    close: async () => {
      closing = true;
      await t.ssm.send(new TerminateSessionCommand({ SessionId: session.SessionId })).catch(() => undefined);
      const timer = setTimeout(() => run.child.kill("SIGKILL"), PLUGIN_EXIT_MS);
      await run.exited;
      clearTimeout(timer);
    },
    notes: () => ({
      ...(exitedOnItsOwn !== undefined ? { exitedOnItsOwn } : {}),
      // Its own words about the drops (it prints the session id and port, no token).
      said: run
        .stdout()
        .split("\n")
        .filter((line) => line.trim() !== "" && !/Waiting for connections|Connection accepted/.test(line))
        .slice(-5),
    }),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const amount = (n: number) => (n < MB ? `${n} B` : `${fmt(n / MB)} MB`);

/** An arm's figures in words. */
function describe(a: ArmResult, options: DropsOptions): string {
  const troubles = [
    a.changed > 0 ? `${a.changed} changed` : "",
    a.cut > 0 ? `${a.cut} cut` : "",
    a.unfinished > 0 ? `${a.unfinished} ${a.stoppedBy === "deadline" ? "past the deadline" : "stalled"}` : "",
  ].filter((t) => t !== "");
  const drops =
    a.dropsDone < options.drops
      ? `${a.dropsDone} of ${plural(options.drops, "drop")} (the rest were due after bytes that never came back)`
      : plural(a.dropsDone, "drop");
  const time =
    a.stoppedBy === "all connections ended"
      ? `${fmt(a.ms / 1000)} s`
      : `last byte back at ${fmt(a.lastByteMs / 1000)} s, stopped at ${fmt(a.ms / 1000)} s`;
  return (
    `${a.surviving}/${options.connections} surviving${troubles.length > 0 ? ` (${troubles.join(", ")})` : ""}, ` +
    `${amount(a.lostBytes)} of ${amount(a.bytes)} lost, ${amount(a.duplicatedBytes)} duplicated, ` +
    `${drops}, ${plural(a.resumes, "resume")}, ${time}`
  );
}

export async function dropsSuite(options: DropsOptions): Promise<SuiteResult> {
  const started = Date.now();
  const t = await startSsmTestCloud();
  const admin = new AdminClient(t.cloud);
  // The test cloud's own echo server dies of a reset connection: this one ends only that connection.
  const target = await startHashingEcho();
  let oursArm: ArmResult;
  let pluginArm: ArmResult;
  try {
    oursArm = await arm(t, target.port, admin, options.transferBytes, options, (s) => ours(t, s));
    process.stderr.write(`bench: drops: ours: ${describe(oursArm, options)}\n`);
    const bin = officialPlugin();
    pluginArm = await arm(t, target.port, admin, options.transferBytes, options, (s) => plugin(t, bin, s));
    process.stderr.write(`bench: drops: plugin: ${describe(pluginArm, options)}\n`);
  } finally {
    await t.stop();
    await target.close();
  }
  const pass =
    oursArm.surviving === options.connections &&
    oursArm.lostBytes === 0 &&
    oursArm.duplicatedBytes === 0 &&
    oursArm.dropsDone === options.drops;
  // The per-connection rows only where something went wrong: 20 identical rows say nothing.
  const detail = ({ connections, ...rest }: ArmResult) => ({
    ...rest,
    ...(rest.surviving < options.connections ? { connections } : {}),
  });
  const figures: Figure[] = [
    {
      id: "25d",
      what: `SSM port forward through ${options.drops} forced WebSocket drops: ${options.connections} concurrent connections through one session, each echoing its own pseudo-random stream; our client (resuming) and the official plugin on the same local cloud`,
      goal: `ours: 0 B lost or duplicated, ${options.connections}/${options.connections} surviving`,
      measured: `ours: ${describe(oursArm, options)}; plugin: ${describe(pluginArm, options)}`,
      pass,
      details: { ours: detail(oursArm), plugin: detail(pluginArm) },
    },
  ];
  return {
    suite: "drops",
    method:
      `One in-process local cloud on loopback with a TCP echo server as the target. Each arm starts its own AWS-StartPortForwardingSession to the echo server, forwards a local port through it and opens ${options.connections} connections at once; each sends ${options.transferBytes / options.connections / MB} MB (${options.transferBytes / MB} MB in all, the same for both arms) of its own AES-CTR keystream in 64 KiB writes, honouring back-pressure and never half-closing (the plugin ends a whole stream on a client's FIN), and checks the echo byte by byte against the same keystream as it comes back. ` +
      `Each time another 1/${options.drops + 1} of the bytes has come back, \`POST /_admin/dataplane/faults {plane: "ssm", sessionId, kind: "drop", at: "now"}\` drops the session's WebSocket (TCP destroyed without a close frame, as a network drop; the session stays resumable), until ${options.drops} drops were done, so every drop falls inside the transfer whatever the arm's speed (a drop that finds the client between two WebSockets is tried again ${TICK_MS} ms later). ` +
      `A connection survives when it got back exactly what it sent, in order, and was not reset; bytes lost are those the forward accepted from the application and never echoed, duplicated those echoed beyond what was sent. Resumes are the ResumeSession calls the local cloud answered for the session (its request log). Each arm stops by itself once every connection ended, ${options.stallMs / 1000} s after the last byte came back, or ${options.deadlineMs / 1000} s after it started. ` +
      `Ours: client/ssm's forwardPort, in the bench's process beside the local cloud, with \`resume: resumeWith(ssm, sessionId)\` (an SDK client with the local cloud's endpoint and explicit keys) and the default reconnect budget. The official plugin runs as the AWS CLI runs it, with the local cloud's URL as its endpoint argument, so its own ResumeSession calls go there. ` +
      `What it does here: it resumes (ResumeSession answered, the data channel reopened, the agent's output still acknowledged) but never sends the connections' bytes again, so they stall after the first drop. Its source explains it: a port forward's reader (sessionmanagerplugin/session/portsession/muxportforwarding.go, transferDataToServer) returns for good on the first SendInputDataMessage that fails, and every send fails while the WebSocket is closed for the reconnection (communicator/websocketchannel.go, SendMessage); the bytes it had read are dropped with it.`,
    figures,
    durationMs: Date.now() - started,
  };
}
