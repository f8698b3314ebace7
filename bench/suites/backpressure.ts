/**
 * Back-pressure: a peer that reads nothing while 64 MB are pushed at it through a port forward,
 * for SSM and ECS. The local cloud and our client each run in a process of their own (the fuzz
 * suite's, test/fuzz/support/), so the growth of each one's resident memory is measured apart.
 * Both directions: the target pushes while the local application reads nothing, and the local
 * application pushes while the target reads nothing. Beside it, the same forwards' throughput
 * with a peer that reads.
 */
import { performance } from "node:perf_hooks";
import { startClientProcess, type ClientProcess } from "../../test/fuzz/support/clientProcess";
import { rssBytes, startCloudProcess, type CloudProcess } from "../../test/fuzz/support/cloudProcess";
import {
  endEcsSession,
  endSsmSession,
  ssmClient,
  startEcsSession,
  startSsmSession,
  startTarget,
} from "../../test/fuzz/support/sessions";
import { connected, push } from "../lib/sockets";
import type { Figure, SuiteResult } from "../lib/types";

export interface BackpressureOptions {
  /** Bytes pushed at the peer that reads nothing (64 MB by default). */
  pushBytes: number;
  /** Bytes of the throughput transfer through ECS (its 200 KiB/s cap: 3 MB by default). */
  ecsBytes: number;
  /** The longest a stalled push is watched once it stops making progress, ms. */
  stallMs: number;
}

const MB = 2 ** 20;
const SAMPLE_MS = 100;
/** A push is over when it wrote everything or made no progress for this long. */
const MAX_WINDOW_MS = 30_000;

interface Growth {
  /** Bytes the pusher got accepted before it stalled or finished. */
  acceptedMB: number;
  cloudMB: number;
  clientMB: number;
  windowMs: number;
}

/** Peak RSS growth of both processes while `progress()` advances (and for `stallMs` after it stops). */
async function watch(
  procs: { cloud: number; client: number },
  progress: () => number,
  total: number,
  stallMs: number,
): Promise<Growth> {
  const base = { cloud: rssBytes(procs.cloud), client: rssBytes(procs.client) };
  const peak = { ...base };
  const started = performance.now();
  let last = -1;
  let lastMoved = started;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    peak.cloud = Math.max(peak.cloud, rssBytes(procs.cloud));
    peak.client = Math.max(peak.client, rssBytes(procs.client));
    const now = performance.now();
    const p = progress();
    if (p !== last) [last, lastMoved] = [p, now];
    if (p >= total || now - lastMoved > stallMs || now - started > MAX_WINDOW_MS) break;
  }
  // Memory keeps growing after the pusher is done (queues inside the forward): sample a while longer.
  for (let i = 0; i < stallMs / SAMPLE_MS; i++) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    peak.cloud = Math.max(peak.cloud, rssBytes(procs.cloud));
    peak.client = Math.max(peak.client, rssBytes(procs.client));
  }
  return {
    acceptedMB: Number((progress() / MB).toFixed(1)),
    cloudMB: Number(((peak.cloud - base.cloud) / MB).toFixed(1)),
    clientMB: Number(((peak.client - base.client) / MB).toFixed(1)),
    windowMs: Math.round(performance.now() - started),
  };
}

/** A forward of one cloud, in the client process, to a target port. */
type Forward = (targetPort: number) => Promise<{ port: number; close(): Promise<void> }>;

/** Runs `op` in the client process until the forward is closed, then ends the session. */
async function forwardIn(
  client: ClientProcess,
  op: Parameters<ClientProcess["call"]>[0],
  end: () => Promise<void>,
): Promise<{ port: number; close(): Promise<void> }> {
  const call = client.call(op);
  const port = (await call.opened)!;
  return { port, close: () => client.close(call).then(end) };
}

function ssmForward(cloud: CloudProcess, client: ClientProcess): Forward {
  return async (targetPort) => {
    const ssm = ssmClient(cloud);
    const s = await startSsmSession(ssm, targetPort);
    return forwardIn(client, { op: "ssmForward", streamUrl: s.StreamUrl, tokenValue: s.TokenValue }, () =>
      endSsmSession(ssm, s.SessionId).finally(() => ssm.destroy()),
    );
  };
}

function ecsForward(cloud: CloudProcess, client: ClientProcess): Forward {
  return async (targetPort) => {
    const e = await startEcsSession(cloud, targetPort);
    return forwardIn(client, { op: "ecsForward", url: e.WebSocketUrl }, () =>
      endEcsSession(cloud, e.SessionId),
    );
  };
}

/** The target pushes `bytes`; the local application connects and reads nothing. */
async function targetPushes(
  forward: Forward,
  pids: { cloud: number; client: number },
  o: BackpressureOptions,
) {
  let pusher: { sent(): number } = { sent: () => 0 };
  const target = await startTarget((s) => void (pusher = push(s, o.pushBytes)));
  const f = await forward(target.port);
  const app = await connected(f.port);
  app.pause();
  app.on("error", () => undefined);
  try {
    return await watch(pids, () => pusher.sent(), o.pushBytes, o.stallMs);
  } finally {
    app.destroy();
    await f.close();
    await target.close();
  }
}

/** The local application pushes `bytes`; the target accepts and reads nothing. */
async function applicationPushes(
  forward: Forward,
  pids: { cloud: number; client: number },
  o: BackpressureOptions,
) {
  const target = await startTarget((s) => s.pause());
  const f = await forward(target.port);
  const app = await connected(f.port);
  app.on("error", () => undefined);
  const pusher = push(app, o.pushBytes);
  try {
    return await watch(pids, () => pusher.sent(), o.pushBytes, o.stallMs);
  } finally {
    app.destroy();
    await f.close();
    await target.close();
  }
}

/** MB/s of `bytes` sent through the forward to a target that reads everything (timed to its last byte). */
async function throughput(forward: Forward, bytes: number): Promise<number> {
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  let got = 0;
  const target = await startTarget((s) =>
    s.on("data", (d: Buffer) => {
      got += d.length;
      if (got >= bytes) done();
    }),
  );
  const f = await forward(target.port);
  const app = await connected(f.port);
  app.on("error", () => undefined);
  const start = performance.now();
  push(app, bytes);
  // A forward that never delivers everything must not hang the bench: 0 MB/s then.
  const finished = await Promise.race([
    all.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), MAX_WINDOW_MS).unref()),
  ]);
  const mbps = finished ? bytes / MB / ((performance.now() - start) / 1000) : 0;
  app.destroy();
  await f.close();
  await target.close();
  return Number(mbps.toFixed(2));
}

/** Runs `run` against a local cloud process and a client process (stopped after). */
async function withProcesses<T>(
  run: (forward: { ssm: Forward; ecs: Forward }, pids: { cloud: number; client: number }) => Promise<T>,
): Promise<T> {
  const [cloud, client] = await Promise.all([startCloudProcess(), startClientProcess()]);
  try {
    return await run(
      { ssm: ssmForward(cloud, client), ecs: ecsForward(cloud, client) },
      { cloud: cloud.pid, client: client.pid },
    );
  } finally {
    await Promise.all([client.stop(), cloud.stop()]);
  }
}

export async function backpressureSuite(options: BackpressureOptions): Promise<SuiteResult> {
  const started = Date.now();
  const goal = 64;
  const figures: Figure[] = [];
  // One local cloud and one client process for every arm, as a user runs them: a stalled session
  // must leave the next one (and its throughput) alone. Growth is measured from each arm's start.
  await withProcesses(async (forwards, pids) => {
    for (const [id, name, normalBytes] of [
      ["23a", "ssm", options.pushBytes],
      ["23b", "ecs", options.ecsBytes],
    ] as const) {
      const forward = forwards[name];
      const arm = <T>(what: string, run: () => Promise<T>) => {
        process.stderr.write(`bench: backpressure: ${name} ${what}\n`);
        return run();
      };
      const down = await arm("target pushes", () => targetPushes(forward, pids, options));
      const up = await arm("app pushes", () => applicationPushes(forward, pids, options));
      const rate = await arm("normal peer", () => throughput(forward, normalBytes));
      const worst = Math.max(down.cloudMB, down.clientMB, up.cloudMB, up.clientMB);
      figures.push({
        id,
        what:
          `${name.toUpperCase()} port forward, a peer that reads nothing while ${options.pushBytes / MB} MB are pushed at it: ` +
          "RSS growth of the local cloud / the client (target pushes, app reads nothing; app pushes, target reads nothing), beside the throughput with a peer that reads",
        goal: `<= ${goal} MB each`,
        measured:
          `target pushes (${down.acceptedMB} MB accepted): cloud +${down.cloudMB} MB, client +${down.clientMB} MB; ` +
          `app pushes (${up.acceptedMB} MB accepted): cloud +${up.cloudMB} MB, client +${up.clientMB} MB; ` +
          `normal peer ${rate} MB/s (${normalBytes / MB} MB)`,
        pass: worst <= goal,
        details: { targetPushes: down, applicationPushes: up, normalMBps: rate, normalBytes },
      });
    }
  });
  return {
    suite: "backpressure",
    method:
      "The local cloud (`pulumi-sessions local-cloud`) and our clients (client/ssm, client/ecs, driven by test/fuzz/support/clientHost.ts) each run in a process of their own on loopback; RSS is read from /proc every 100 ms. One local cloud process and one client process serve every arm in turn (a stalled session must not affect the next); per cloud, one port-forwarding session per arm: (1) the target pushes the bytes as fast as its socket accepts them while the local application is connected and never reads; (2) the local application pushes while the target accepts and never reads. Each arm lasts until the pusher has had everything accepted or made no progress for the stall window, then is watched for one more window; the figure is the peak RSS minus the RSS just before the arm. A forward with working back-pressure stalls the pusher after a bounded amount. The throughput arm sends to a target that reads everything, timed to its last byte (ECS: fewer bytes, its 200 KiB/s cap).",
    figures,
    durationMs: Date.now() - started,
  };
}
