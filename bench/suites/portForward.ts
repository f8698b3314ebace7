/**
 * Port forwarding through one session on loopback, each arm in the same run against raw loopback
 * TCP: throughput of one bulk transfer and the round trip of 1 KB request/response, for our SSM
 * client and the official session-manager-plugin over the same kind of session, our ECS client
 * against the ECS data plane's 200 KB/s cap, and 20 concurrent connections over one SSM session.
 */
import { randomBytes } from "node:crypto";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { TerminateSessionCommand } from "@aws-sdk/client-ssm";
import * as ecs from "../../client/ecs";
import * as ssm from "../../client/ssm";
import { startSsmTestCloud, CRED, NODE, REGION } from "../../emulator/dataplane/ssm/testing/cloud";
import { officialPlugin, runPlugin } from "../../emulator/dataplane/ssm/testing/plugin";
import { startLocalCloud } from "../../emulator/server";
import { ECS_LIMITS } from "../../emulator/services/ecs/model";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../../emulator/testing/alibaba";
import type { Figure, SuiteResult } from "../lib/types";

export interface PortForwardOptions {
  /** Bytes of the bulk transfer through SSM and raw TCP (64 MB by default). */
  transferBytes: number;
  /** Bytes through the ECS session (its cap makes 64 MB take minutes: 3 MB by default). */
  ecsBytes: number;
  /** 1 KB round trips per arm. */
  roundTrips: number;
}

/** Where the forwarded connections go: an echo port and a sink that acknowledges a byte count. */
interface Targets {
  echoPort: number;
  sinkPort: number;
  close(): void;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * The sink reads an 8-byte length, then that many bytes, recording when each megabyte arrived,
 * and answers one byte at the end (so the sender's clock stops when the far side has it all).
 */
const marks = new Map<Socket, number[]>();
async function startTargets(): Promise<Targets> {
  const echo = createServer((s) => s.pipe(s));
  const sink = createServer((s) => {
    let expected = -1;
    let got = 0;
    const times: number[] = [];
    marks.set(s, times);
    s.on("data", (d: Buffer) => {
      if (expected < 0) {
        expected = Number(d.readBigUInt64BE(0));
        d = d.subarray(8);
      }
      const before = Math.floor(got / 2 ** 20);
      got += d.length;
      for (let mb = before + 1; mb <= Math.floor(got / 2 ** 20); mb++) times.push(performance.now());
      if (got >= expected) s.end(Buffer.from([1]));
    });
    s.on("error", () => s.destroy());
  });
  const [echoPort, sinkPort] = [await listen(echo), await listen(sink)];
  return {
    echoPort,
    sinkPort,
    close() {
      echo.close();
      sink.close();
    },
  };
}

/** Sends `bytes` to the sink through `port`; resolves with the wall time until it has them all. */
function transfer(port: number, bytes: number): Promise<{ ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const socket = connect(port, "127.0.0.1", () => {
      const header = Buffer.alloc(8);
      header.writeBigUInt64BE(BigInt(bytes));
      socket.write(header);
      const chunk = randomBytes(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < bytes) {
          const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
          sent += part.length;
          if (!socket.write(part)) return void socket.once("drain", pump);
        }
      };
      pump();
    });
    socket.once("data", () => {
      resolve({ ms: performance.now() - start });
      socket.destroy();
    });
    socket.on("error", reject);
  });
}

/** `n` sequential 1 KB request/response round trips through `port`: their times in ms. */
function roundTrips(port: number, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const payload = randomBytes(1024);
    const times: number[] = [];
    let got = 0;
    let start = 0;
    const next = () => {
      got = 0;
      start = performance.now();
      socket.write(payload);
    };
    socket.on("connect", next);
    socket.on("data", (d: Buffer) => {
      got += d.length;
      if (got < payload.length) return;
      times.push(performance.now() - start);
      if (times.length === n) {
        socket.destroy();
        resolve(times);
      } else next();
    });
    socket.on("error", reject);
  });
}

/** 20 connections at once, each echoing 256 KB of its own random bytes: how many came back changed. */
async function concurrentLoss(port: number, connections = 20, bytes = 256 * 1024): Promise<number> {
  const results = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<boolean>((resolve) => {
          const sent = randomBytes(bytes);
          const chunks: Buffer[] = [];
          let received = 0;
          const socket = connect(port, "127.0.0.1", () => socket.write(sent));
          socket.on("data", (d: Buffer) => {
            chunks.push(d);
            received += d.length;
            if (received >= bytes) socket.end();
          });
          socket.on("close", () => resolve(Buffer.concat(chunks).equals(sent)));
          socket.on("error", () => resolve(false));
        }),
    ),
  );
  return results.filter((ok) => !ok).length;
}

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const mbps = (bytes: number, ms: number) => bytes / 2 ** 20 / (ms / 1000);
const fmt = (n: number, digits = 1) => n.toFixed(digits);

interface ArmResult {
  throughputMBps: number;
  rttP50: number;
  rttP99: number;
}

/** The bulk transfer to `sinkPort` and the round trips to `echoPort`. */
async function measure(sinkPort: number, echoPort: number, options: PortForwardOptions): Promise<ArmResult> {
  const { ms } = await transfer(sinkPort, options.transferBytes);
  const rtts = await roundTrips(echoPort, options.roundTrips);
  return {
    throughputMBps: mbps(options.transferBytes, ms),
    rttP50: percentile(rtts, 50),
    rttP99: percentile(rtts, 99),
  };
}

export async function portForwardSuite(options: PortForwardOptions): Promise<SuiteResult> {
  const started = Date.now();
  const targets = await startTargets();
  const t = await startSsmTestCloud();
  const arms: Record<string, ArmResult> = {};
  let ecsRate = 0;
  let loss = -1;
  try {
    // Raw loopback TCP: the baseline every arm is judged against.
    arms.raw = await measure(targets.sinkPort, targets.echoPort, options);

    // The same two targets behind one port-forwarding session each (sink, echo) per client.
    const startPortSession = async (port: number) =>
      t.start({ DocumentName: "AWS-StartPortForwardingSession", Parameters: { portNumber: [String(port)] } });
    const through = async (
      open: (
        session: Awaited<ReturnType<typeof startPortSession>>,
      ) => Promise<{ port: number; close(): Promise<unknown> }>,
    ) => {
      const sink = await open(await startPortSession(targets.sinkPort));
      const echo = await open(await startPortSession(targets.echoPort));
      try {
        return await measure(sink.port, echo.port, options);
      } finally {
        await sink.close();
        await echo.close();
      }
    };
    arms.oursSsm = await through((s) =>
      ssm.forwardPort({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue }),
    );
    const plugin = officialPlugin();
    arms.plugin = await through(async (s) => {
      const run = runPlugin({
        plugin,
        endpoint: t.cloud.url,
        region: REGION,
        credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret },
        response: s,
        request: { Target: NODE, DocumentName: "AWS-StartPortForwardingSession" },
      });
      const [, port] = await run.waitFor(/Port (\d+) opened for sessionId/);
      return {
        port: Number(port),
        close: async () => {
          await t.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
          await run.exited;
        },
      };
    });

    // 20 connections at once over one SSM session, our client.
    const echoSession = await startPortSession(targets.echoPort);
    const mux = await ssm.forwardPort({
      streamUrl: echoSession.StreamUrl,
      tokenValue: echoSession.TokenValue,
    });
    try {
      loss = await concurrentLoss(mux.port);
    } finally {
      await mux.close();
    }

    // ECS: our client against the data plane's cap; the rate over the transfer's middle, past
    // the bucket's one-second burst and before the final drain.
    const ecsCloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      ecs: { instances: [{ instanceId: "i-bench", regionId: "cn-hangzhou" }] },
    });
    try {
      const r = await callRpc(openApiClient(ecsCloud), "StartTerminalSession", {
        RegionId: "cn-hangzhou",
        InstanceId: ["i-bench"],
        PortNumber: targets.sinkPort,
      });
      const forward = await ecs.forwardPort((r.body as { WebSocketUrl: string }).WebSocketUrl);
      try {
        marks.clear();
        await transfer(forward.port, options.ecsBytes);
        const times = [...marks.values()].find((m) => m.length >= 3) ?? [];
        // From the end of MB 1 to the end of the last full MB.
        ecsRate = ((times.length - 1) * 2 ** 20) / ((times[times.length - 1] - times[0]) / 1000);
      } finally {
        await forward.close();
      }
    } finally {
      await ecsCloud.stop();
    }
  } finally {
    await t.stop();
    targets.close();
  }

  const cap = ECS_LIMITS.bandwidthBytesPerSec;
  const figures: Figure[] = [
    {
      id: "14a",
      what: `SSM port forward, throughput of a ${options.transferBytes / 2 ** 20} MB transfer: our client vs the official plugin (raw loopback TCP for scale)`,
      goal: ">= 1.00x the plugin",
      measured: `${fmt(arms.oursSsm.throughputMBps / arms.plugin.throughputMBps, 2)}x (ours ${fmt(arms.oursSsm.throughputMBps)} MB/s, plugin ${fmt(arms.plugin.throughputMBps)} MB/s, raw TCP ${fmt(arms.raw.throughputMBps)} MB/s)`,
      pass: arms.oursSsm.throughputMBps >= arms.plugin.throughputMBps,
      details: { ...arms },
    },
    {
      id: "14b",
      what: `SSM port forward, 1 KB request/response round trip p50 / p99 over ${options.roundTrips}: our client vs the official plugin`,
      goal: "<= the plugin's, both",
      measured: `ours ${fmt(arms.oursSsm.rttP50, 2)} / ${fmt(arms.oursSsm.rttP99, 2)} ms, plugin ${fmt(arms.plugin.rttP50, 2)} / ${fmt(arms.plugin.rttP99, 2)} ms, raw TCP ${fmt(arms.raw.rttP50, 3)} / ${fmt(arms.raw.rttP99, 3)} ms`,
      pass: arms.oursSsm.rttP50 <= arms.plugin.rttP50 && arms.oursSsm.rttP99 <= arms.plugin.rttP99,
      details: { ...arms },
    },
    {
      id: "14c",
      what: `ECS port forward through our client: steady rate of a ${options.ecsBytes / 2 ** 20} MB transfer vs the session's cap (${cap / 1024} KiB/s)`,
      goal: "within 5% of the cap",
      measured: `${fmt(ecsRate / 1024)} KiB/s (${fmt((ecsRate / cap) * 100)}% of the cap)`,
      pass: Math.abs(ecsRate / cap - 1) <= 0.05,
      details: { bytesPerSec: ecsRate, cap },
    },
    {
      id: "14d",
      what: "20 concurrent connections over one SSM session (our client), 256 KB echoed each",
      goal: "no loss",
      measured: loss === 0 ? "20 of 20 intact" : `${loss} of 20 changed or cut`,
      pass: loss === 0,
      details: { changed: loss },
    },
  ];
  return {
    suite: "portForward",
    method:
      "One in-process local cloud on loopback, a TCP sink (acknowledges a byte count) and a TCP echo server as the targets. Each arm forwards a local port through its own session and sends the bulk transfer to the sink (timed until the sink's acknowledgement) and then sequential 1 KB request/response round trips to the echo server. Raw loopback TCP to the same servers is measured in the same run for scale. The official plugin runs as the AWS CLI runs it. The ECS rate is taken between the arrival of the first and the last full megabyte at the sink, past the token bucket's one-second burst.",
    figures,
    durationMs: Date.now() - started,
  };
}
