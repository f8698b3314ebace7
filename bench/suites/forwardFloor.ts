/**
 * SSM port-forward throughput as a share of its floor: a 64 MB transfer through our client and
 * the local cloud, each in a process of its own, against the same bytes carried by a plain
 * WebSocket between two Node.js processes in messages of the protocol's size (bench/lib/wsFloor.ts),
 * the two arms interleaved in one run; with the CPU time each process spent per MB, and the
 * official plugin's rate on the same local cloud beside it.
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { officialPlugin, runPlugin } from "../../emulator/dataplane/ssm/testing/plugin";
import { startClientProcess, type ClientProcess } from "../../test/fuzz/support/clientProcess";
import {
  CLOUD_KEY,
  SSM_NODE,
  SSM_REGION,
  startCloudProcess,
  type CloudProcess,
} from "../../test/fuzz/support/cloudProcess";
import { endSsmSession, ssmClient, startSsmSession, startTarget } from "../../test/fuzz/support/sessions";
import { connected, push } from "../lib/sockets";
import { median } from "../lib/stats";
import type { Figure, SuiteResult } from "../lib/types";
import { FLOOR_MESSAGE_BYTES } from "../lib/wsFloor";

export interface ForwardFloorOptions {
  /** Bytes of each transfer (64 MB by default). */
  transferBytes: number;
  /** Runs of each arm, interleaved. */
  runs: number;
  /** Bytes through the official plugin, once (it moves under 1 MB/s: 8 MB at most). */
  pluginBytes: number;
}

const MB = 2 ** 20;
/** A transfer that does not finish in this long counts as 0 MB/s, so the bench never hangs. */
const RUN_LIMIT_MS = 120_000;

/** CPU time (user + system) a process has used, ms: what its own `process.cpuUsage()` reports. */
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
function cpuMs(pid: number): number {
  // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Write system calls a process has made (`syscw` of /proc/PID/io): what batching saves. */
function writeCalls(pid: number): number {
  return Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? NaN);
}

interface Run {
  mbps: number;
  /** CPU ms per MB of each process of the arm, in the order of its pids. */
  cpuPerMB: number[];
  /** Write system calls per MB of each process of the arm. */
  writesPerMB: number[];
}

/** Runs `transfer` and measures its rate and the CPU `pids` spent meanwhile. */
async function measured(pids: number[], bytes: number, transfer: () => Promise<void>): Promise<Run> {
  const before = pids.map(cpuMs);
  const writesBefore = pids.map(writeCalls);
  const start = performance.now();
  const finished = await Promise.race([
    transfer().then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), RUN_LIMIT_MS).unref()),
  ]);
  const ms = performance.now() - start;
  return {
    mbps: finished ? bytes / MB / (ms / 1000) : 0,
    cpuPerMB: pids.map((pid, i) => (cpuMs(pid) - before[i]) / (bytes / MB)),
    writesPerMB: pids.map((pid, i) => (writeCalls(pid) - writesBefore[i]) / (bytes / MB)),
  };
}

/** A process of a floor (bench/lib/wsFloor.ts, relayFloor.ts) in `args`, and the next IPC message it sends. */
function floorProcess(
  file: "wsFloor.ts" | "relayFloor.ts",
  ...args: string[]
): {
  child: ChildProcess;
  next(): Promise<Record<string, number>>;
} {
  const role = args[0];
  const child = fork(join(__dirname, "..", "lib", file), args, {
    execArgv: ["-r", require.resolve("../register.js")],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return {
    child,
    next: () =>
      new Promise((resolve, reject) => {
        const onExit = () => reject(new Error(`the floor's ${role} exited`));
        child.once("exit", onExit);
        child.once("message", (m: Record<string, number>) => {
          child.off("exit", onExit);
          resolve(m);
        });
      }),
  };
}

/** The two floor processes; `run` carries `bytes` once. */
async function startFloor() {
  const receiver = floorProcess("wsFloor.ts", "receiver");
  const sender = floorProcess("wsFloor.ts", "sender");
  const { port } = await receiver.next();
  const pids = [sender.child.pid!, receiver.child.pid!];
  return {
    pids,
    run: (bytes: number) =>
      measured(pids, bytes, async () => {
        receiver.child.send({ expect: bytes });
        const received = receiver.next();
        sender.child.send({ url: `ws://127.0.0.1:${port}`, bytes });
        await received;
      }),
    stop() {
      sender.child.kill();
      receiver.child.kill();
    },
  };
}

/** The relay floor's two processes; `run` carries `bytes` once from an application to a target. */
async function startRelayFloor() {
  const exit = floorProcess("relayFloor.ts", "exit");
  const { port: wsPort } = await exit.next();
  const entry = floorProcess("relayFloor.ts", "entry", `ws://127.0.0.1:${wsPort}`);
  const { port } = await entry.next();
  const pids = [entry.child.pid!, exit.child.pid!];
  return {
    run: async (bytes: number) => {
      const target = await sink(bytes);
      try {
        const ready = exit.next();
        exit.child.send({ target: target.port });
        await ready;
        return await carry(port, pids, bytes, target.all);
      } finally {
        await target.close();
      }
    },
    stop() {
      entry.child.kill();
      exit.child.kill();
    },
  };
}

/** A target that counts what arrives; `all` resolves once it has `bytes`. */
async function sink(bytes: number) {
  let got = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const target = await startTarget((s) =>
    s.on("data", (d: Buffer) => {
      if ((got += d.length) >= bytes) done();
    }),
  );
  return { port: target.port, all, close: () => target.close() };
}

/** Has the application push `bytes` into `port`: their rate, and the CPU `pids` spent meanwhile. */
async function carry(port: number, pids: number[], bytes: number, all: Promise<void>): Promise<Run> {
  const app = await connected(port);
  try {
    return await measured(pids, bytes, async () => {
      push(app, bytes);
      await all;
    });
  } finally {
    app.destroy();
  }
}

/** One transfer of `bytes` through a fresh port-forwarding session of our client (in `client`). */
async function throughOurs(cloud: CloudProcess, client: ClientProcess, bytes: number): Promise<Run> {
  const target = await sink(bytes);
  const api = ssmClient(cloud);
  const session = await startSsmSession(api, target.port);
  const call = client.call({
    op: "ssmForward",
    streamUrl: session.StreamUrl,
    tokenValue: session.TokenValue,
  });
  try {
    return await carry((await call.opened)!, [client.pid, cloud.pid], bytes, target.all);
  } finally {
    await client.close(call);
    await endSsmSession(api, session.SessionId);
    api.destroy();
    await target.close();
  }
}

/** The official plugin's rate for `bytes` on the same local cloud, once. */
async function throughPlugin(cloud: CloudProcess, bytes: number): Promise<number> {
  const target = await sink(bytes);
  const api = ssmClient(cloud);
  const session = await startSsmSession(api, target.port);
  const run = runPlugin({
    plugin: officialPlugin(),
    endpoint: cloud.url,
    region: SSM_REGION,
    credentials: { accessKeyId: CLOUD_KEY.accessKeyId, secretAccessKey: CLOUD_KEY.accessKeySecret },
    response: session,
    request: { Target: SSM_NODE, DocumentName: "AWS-StartPortForwardingSession" },
  });
  try {
    const [, port] = await run.waitFor(/Port (\d+) opened for sessionId/);
    return (await carry(Number(port), [], bytes, target.all)).mbps;
  } finally {
    await endSsmSession(api, session.SessionId);
    await run.exited;
    api.destroy();
    await target.close();
  }
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const medianOf = (runs: Run[], pick: (r: Run) => number) => median(runs.map(pick));

export async function forwardFloorSuite(options: ForwardFloorOptions): Promise<SuiteResult> {
  const started = Date.now();
  const { transferBytes: bytes } = options;
  const ours: Run[] = [];
  const floor: Run[] = [];
  const relay: Run[] = [];
  let pluginMBps = 0;
  const [cloud, client] = await Promise.all([startCloudProcess(), startClientProcess()]);
  const wsFloor = await startFloor();
  const relayFloor = await startRelayFloor();
  try {
    // A first transfer of each warms them up (JIT, buffers); it is not counted.
    await wsFloor.run(bytes);
    await relayFloor.run(bytes);
    await throughOurs(cloud, client, Math.min(bytes, 8 * MB));
    const arms: Array<[Run[], () => Promise<Run>]> = [
      [floor, () => wsFloor.run(bytes)],
      [relay, () => relayFloor.run(bytes)],
      [ours, () => throughOurs(cloud, client, bytes)],
    ];
    for (let i = 0; i < options.runs; i++) {
      // The arms take turns going first, so none always follows another.
      for (let k = 0; k < arms.length; k++) {
        const [runs, run] = arms[(i + k) % arms.length];
        runs.push(await run());
      }
      process.stderr.write(
        `bench: forwardFloor: run ${i + 1}: ours ${fmt(ours[i].mbps)} MB/s, floor ${fmt(floor[i].mbps)} MB/s, relay floor ${fmt(relay[i].mbps)} MB/s\n`,
      );
    }
    pluginMBps = await throughPlugin(cloud, options.pluginBytes);
  } finally {
    wsFloor.stop();
    relayFloor.stop();
    await Promise.all([client.stop(), cloud.stop()]);
  }

  const oursMBps = medianOf(ours, (r) => r.mbps);
  const floorMBps = medianOf(floor, (r) => r.mbps);
  const relayMBps = medianOf(relay, (r) => r.mbps);
  const share = oursMBps / floorMBps;
  // Each run of ours beside the floor measured next to it: less swayed by load that comes and goes.
  const pairedShare = median(ours.map((r, i) => r.mbps / floor[i].mbps));
  const cpu = {
    client: medianOf(ours, (r) => r.cpuPerMB[0]),
    cloud: medianOf(ours, (r) => r.cpuPerMB[1]),
    floorSender: medianOf(floor, (r) => r.cpuPerMB[0]),
    floorReceiver: medianOf(floor, (r) => r.cpuPerMB[1]),
    relayEntry: medianOf(relay, (r) => r.cpuPerMB[0]),
    relayExit: medianOf(relay, (r) => r.cpuPerMB[1]),
  };
  const writes = {
    client: medianOf(ours, (r) => r.writesPerMB[0]),
    cloud: medianOf(ours, (r) => r.writesPerMB[1]),
    floorSender: medianOf(floor, (r) => r.writesPerMB[0]),
  };
  const figures: Figure[] = [
    {
      id: "25a",
      what: `SSM port forward, throughput of a ${bytes / MB} MB transfer (our client and the local cloud each in its own process) as a share of its floor: the same bytes over a plain WebSocket between two Node.js processes in ${FLOOR_MESSAGE_BYTES}-byte binary messages, no acknowledgements; CPU ms per MB of each process; the official plugin beside it`,
      goal: ">= 40% of the floor",
      measured:
        `${fmt(share * 100)}% (ours ${fmt(oursMBps)} MB/s, floor ${fmt(floorMBps)} MB/s; run by run ${fmt(pairedShare * 100)}%; plugin ${fmt(pluginMBps)} MB/s over ${options.pluginBytes / MB} MB); ` +
        `CPU per MB: client ${fmt(cpu.client)} ms, local cloud ${fmt(cpu.cloud)} ms (floor: sender ${fmt(cpu.floorSender)} ms, receiver ${fmt(cpu.floorReceiver)} ms); ` +
        `write system calls per MB: client ${fmt(writes.client, 0)}, local cloud ${fmt(writes.cloud, 0)} (floor sender ${fmt(writes.floorSender, 0)}); ` +
        `relay floor (the same hops as a forward, no protocol) ${fmt(relayMBps)} MB/s: ours ${fmt((oursMBps / relayMBps) * 100)}% of it, CPU per MB entry ${fmt(cpu.relayEntry)} ms, exit ${fmt(cpu.relayExit)} ms`,
      pass: share >= 0.4,
      details: {
        oursMBps,
        floorMBps,
        relayMBps,
        pairedShare,
        pluginMBps,
        cpuMsPerMB: cpu,
        writesPerMB: writes,
        ours,
        floor,
        relay,
      },
    },
  ];
  return {
    suite: "forwardFloor",
    method: `The local cloud (\`pulumi-sessions local-cloud\`) and our client (client/ssm's forwardPort, driven by test/fuzz/support/clientHost.ts) each run in a process of their own on loopback; the application that sends and the target that receives run in the bench's process. Each run of ours is a fresh port-forwarding session: the application writes ${bytes / MB} MB in 64 KiB writes, honouring back-pressure, timed until the target has the last byte. The floor (bench/lib/wsFloor.ts) is two Node.js processes joined by a plain \`ws\` WebSocket (no compression) on loopback: the sender sends the same number of bytes in binary messages of ${FLOOR_MESSAGE_BYTES} bytes (the protocol's header and its largest payload) with no acknowledgement, holding at most 1 MiB queued, timed until the receiver has counted them all. Beside it, the relay floor (bench/lib/relayFloor.ts) carries the bytes along a forward's path, application -> TCP -> entry process -> plain WebSocket -> exit process -> TCP -> target, in messages of the same size with back-pressure at every hop and no acknowledgements, digests, sequence numbers or multiplexing: what separates ours from it is the protocol, what separates it from the floor is the relaying. One unmeasured warm-up of each, then ${options.runs} runs of each arm, interleaved, the arms taking turns going first; figures are medians (the share also run by run: the median of each run of ours over the floor run beside it). CPU time is user + system time from /proc/PID/stat (the counters \`process.cpuUsage()\` reads, 10 ms ticks) of the two processes of each arm over the timed window, per MB; write system calls likewise from /proc/PID/io (\`syscw\`). The official plugin carries ${options.pluginBytes / MB} MB once through the same local cloud (it moves under 1 MB/s).`,
    figures,
    durationMs: Date.now() - started,
  };
}
