/**
 * Goal 17: a tunnel for a deployment (`aws.Tunnel`). (a) Its setup time: `pulumi up` start to the
 * first query answered through it (one database), beside the same program talking to the server
 * directly. (b) `pulumi up` then `pulumi destroy` of 20 databases made with mysql2 through the
 * tunnel vs the same 20 made directly. Each round runs the arms back to back (which goes first
 * rotating); a figure is the median over rounds of the round's difference (a) or ratio (b). A
 * third arm, the floor, serves the same program's tunnel with a plugin that only relays TCP.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { MARIADB_ADMIN, startTestMariadb } from "../../emulator/services/das/testing/mariadb";
import { TestStack, uniqueSuffix } from "../../test/support/harness";
import { programRoot } from "../../test/support/paths";
import { scratchRoot, timed } from "../lib/stacks";
import { median, summarize, type Summary } from "../lib/stats";
import type { SuiteResult } from "../lib/types";
import { pluginFolder } from "../../test/support/installedPackage";
import { freePort } from "../../provider/tunnel/inputs";

/** A folder whose `pulumi-resource-sessions` is the floor arm's plugin. */
function floorPluginFolder(): string {
  const dir = fs.mkdtempSync(path.join(scratchRoot, "floor-plugin-"));
  fs.symlinkSync(
    path.join(__dirname, "..", "lib", "floorTunnelPlugin.js"),
    path.join(dir, "pulumi-resource-sessions"),
  );
  return dir;
}

const COUNT = 20;
/** 17a: what the tunnel may add to `pulumi up` start -> first query. */
const SETUP_GOAL_MS = 150;
/** 17b: up + destroy through the tunnel over direct. */
const RATIO_GOAL = 1.1;
const PROGRAM = path.join(__dirname, "..", "programs", "tunnel");
const REGION = "us-west-2";
const KEY = { accessKeyId: "AKIABENCHTUNNEL001", accessKeySecret: "bench-tunnel-secret" };
const TARGET = "i-0benchtunnel0001";

export interface TunnelOptions {
  /** Runs per arm and per figure (median taken). */
  runs: number;
}

/**
 * tunnel: through an aws.Tunnel; direct: straight to the server; floor: the same program as the
 * tunnel's, its plugin a relay that does nothing else (bench/lib/floorTunnelPlugin.js).
 */
type Mode = "tunnel" | "direct" | "floor";
const MODES: readonly Mode[] = ["tunnel", "direct", "floor"];

interface Run {
  /** `pulumi up` start -> first create's query answered, ms. */
  firstByte: number;
  up: number;
  destroy: number;
}

/** One fresh stack: up, destroy, and the first mark its creates wrote. */
async function measure(cloud: LocalCloud, dbPort: number, plugins: Plugins, mode: Mode, count: number) {
  const scratch = fs.mkdtempSync(path.join(scratchRoot, `tunnel-${mode}-`));
  const marks = path.join(scratch, "marks");
  const pluginDir = mode === "floor" ? plugins.floor : plugins.sessions;
  const stack = await TestStack.create({
    program: PROGRAM,
    env:
      mode === "floor"
        ? { BENCH_FLOOR_TARGET: `127.0.0.1:${dbPort}`, BENCH_FLOOR_PORT: String(await freePort()) }
        : {},
    config: {
      "sessions:localCloud": cloud.url,
      "aws:region": REGION,
      "aws:accessKey": KEY.accessKeyId,
      "bench:mode": mode === "direct" ? "direct" : "tunnel",
      "bench:target": TARGET,
      "bench:dbPort": String(dbPort),
      "bench:dbUser": MARIADB_ADMIN.user,
      "bench:prefix": `b${uniqueSuffix()}`.replace(/[^a-z0-9]/gi, "").slice(0, 20),
      "bench:count": String(count),
      "bench:marks": marks,
    },
    secrets: { "aws:secretKey": KEY.accessKeySecret, "bench:dbPassword": MARIADB_ADMIN.password },
    stackName: `t${uniqueSuffix()}`,
  });
  fs.appendFileSync(
    path.join(stack.programDir, "Pulumi.yaml"),
    `plugins:\n  providers:\n    - name: sessions\n      path: ${pluginDir}\n`,
  );
  try {
    const start = Date.now();
    const [, up] = await timed(() => stack.up());
    const first = Math.min(...fs.readFileSync(marks, "utf8").trim().split("\n").map(Number));
    const [, destroy] = await timed(() => stack.destroy());
    return { firstByte: first - start, up, destroy };
  } finally {
    stack.cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Where the engine finds each arm's `sessions` plugin. */
interface Plugins {
  sessions: string;
  floor: string;
}

/** `runs` rounds of every arm, which goes first rotating from round to round, each a fresh stack. */
async function arms(
  run: (mode: Mode) => Promise<Run>,
  runs: number,
  label: string,
): Promise<Record<Mode, Run[]>> {
  const out: Record<Mode, Run[]> = { tunnel: [], direct: [], floor: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of [...MODES.slice(i % MODES.length), ...MODES.slice(0, i % MODES.length)]) {
      const r = await run(mode);
      out[mode].push(r);
      process.stderr.write(
        `bench: tunnel ${label} ${mode} run ${i + 1}/${runs}: first byte at ${r.firstByte} ms, ` +
          `up ${Math.round(r.up)} + destroy ${Math.round(r.destroy)} ms\n`,
      );
    }
  }
  return out;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const signed = (ms: number) => `${ms < 0 ? "-" : "+"}${Math.abs(Math.round(ms))}`;
const stat = (runs: Run[], pick: (r: Run) => number): Summary => summarize(runs.map(pick));

/**
 * Per round, the tunnel arm against the direct arm run beside it. A round's times drift with the
 * machine's load by more than the tunnel costs (±0.5 s between rounds here), and both arms of a
 * round drift together: comparing within rounds cancels what comparing the arms' medians keeps.
 */
const rounds = (
  arms: Record<Mode, Run[]>,
  compare: (arm: Run, direct: Run) => number,
  arm: Mode = "tunnel",
): number[] => arms[arm].map((r, i) => compare(r, arms.direct[i]));

export async function tunnelSuite(options: TunnelOptions): Promise<SuiteResult> {
  const started = Date.now();
  fs.mkdirSync(scratchRoot, { recursive: true });
  const db = await startTestMariadb("bench-tunnel");
  const cloud = await startLocalCloud({
    credentials: [KEY],
    ssm: { targets: [{ target: TARGET, region: REGION }] },
  });
  // The plugin as npm links it (node_modules/.bin), in a folder the programs' Pulumi.yaml names.
  const plugins: Plugins = { sessions: pluginFolder(scratchRoot, programRoot()), floor: floorPluginFolder() };
  try {
    const one = await arms((mode) => measure(cloud, db.port, plugins, mode, 1), options.runs, "setup");
    const many = await arms(
      (mode) => measure(cloud, db.port, plugins, mode, COUNT),
      options.runs,
      `x${COUNT}`,
    );
    const setup = stat(one.tunnel, (r) => r.firstByte);
    const setupDirect = stat(one.direct, (r) => r.firstByte);
    const total = (runs: Run[]) => stat(runs, (r) => r.up + r.destroy);
    const tunnelTotal = total(many.tunnel);
    const directTotal = total(many.direct);
    const extras = rounds(one, (t, d) => t.firstByte - d.firstByte);
    const ratios = rounds(many, (t, d) => (t.up + t.destroy) / (d.up + d.destroy));
    const floorExtras = rounds(one, (f, d) => f.firstByte - d.firstByte, "floor");
    const floorRatios = rounds(many, (f, d) => (f.up + f.destroy) / (d.up + d.destroy), "floor");
    const extra = median(extras);
    const ratio = median(ratios);
    const floorExtra = median(floorExtras);
    const floorRatio = median(floorRatios);
    const n = options.runs;
    return {
      suite: "tunnel",
      method:
        "`bench/programs/tunnel`: databases made and dropped with mysql2 by a dynamic resource, against a real " +
        "MariaDB, either through an `aws.Tunnel` (the provider plugin `pulumi-resource-sessions` named in " +
        "Pulumi.yaml, an SSM port-forwarding session to the local cloud, whose data plane dials the server) or " +
        "straight to the server, or, as a floor, through a stand-in for the plugin that does only what the engine " +
        "needs of a tunnel's plugin (bench/lib/floorTunnelPlugin.js: the same program and `aws.Tunnel`, a loopback " +
        "port piped straight to the server, no configuration check, schema, session or journal): the floor over " +
        "direct is what any plugin-served endpoint costs under the engine, the tunnel over the floor what the " +
        "tunnel itself adds. Each run is a fresh stack on one local cloud and one MariaDB. Setup: one " +
        "database; from the moment the bench starts `pulumi up` to the epoch " +
        "ms the create's first query answered (written by the provider), so it includes the CLI, the program, " +
        "the plugin's start and the session's, beside the same figure without the tunnel. Deployment: " +
        `${COUNT} databases created in parallel, CLI wall time of up + destroy (destroy also goes through a ` +
        "new tunnel, without --run-program). Each round runs the three arms back to back, which goes first " +
        "rotating from round to round; figure = the median over rounds of the round's difference (setup) " +
        "or ratio (deployment) against the direct arm: a round's times drift with the machine's load by more " +
        "than the tunnel costs, and the arms of a round drift together. The arms' own medians are shown beside it.",
      figures: [
        {
          id: "17a",
          what: "`pulumi up` start to the first query answered through the tunnel (direct connection beside it)",
          goal: `<= +${SETUP_GOAL_MS} ms over direct`,
          measured:
            `${signed(extra)} ms for the tunnel (median of ${n} rounds' differences, ` +
            `${signed(Math.min(...extras))} to ${signed(Math.max(...extras))}); ` +
            `medians ${seconds(setup.median)} vs direct ${seconds(setupDirect.median)}; floor (a plugin that ` +
            `only relays TCP, no session) ${signed(floorExtra)} ms (${signed(Math.min(...floorExtras))} to ` +
            `${signed(Math.max(...floorExtras))}): the tunnel's own cost ${signed(extra - floorExtra)} ms`,
          pass: extra <= SETUP_GOAL_MS,
          details: {
            differences: summarize(extras),
            tunnel: setup,
            direct: setupDirect,
            floorDifferences: summarize(floorExtras),
            floor: stat(one.floor, (r) => r.firstByte),
          },
        },
        {
          id: "17b",
          what: `up + destroy of ${COUNT} mysql2 databases through one tunnel vs straight to the server`,
          goal: `<= ${RATIO_GOAL.toFixed(2)}x`,
          measured:
            `${ratio.toFixed(2)}x (median of ${n} rounds' ratios, ${Math.min(...ratios).toFixed(2)} to ` +
            `${Math.max(...ratios).toFixed(2)}); medians ${seconds(tunnelTotal.median)} vs ${seconds(directTotal.median)}; ` +
            `floor (a plugin that only relays TCP) ${floorRatio.toFixed(2)}x (${Math.min(...floorRatios).toFixed(2)} ` +
            `to ${Math.max(...floorRatios).toFixed(2)})`,
          pass: ratio <= RATIO_GOAL,
          details: {
            ratio,
            ratios: summarize(ratios, 3),
            tunnel: {
              total: tunnelTotal,
              up: stat(many.tunnel, (r) => r.up),
              destroy: stat(many.tunnel, (r) => r.destroy),
            },
            direct: {
              total: directTotal,
              up: stat(many.direct, (r) => r.up),
              destroy: stat(many.direct, (r) => r.destroy),
            },
            floorRatios: summarize(floorRatios, 3),
            floor: {
              total: total(many.floor),
              up: stat(many.floor, (r) => r.up),
              destroy: stat(many.floor, (r) => r.destroy),
            },
          },
        },
      ],
      durationMs: Date.now() - started,
    };
  } finally {
    for (const dir of Object.values(plugins)) fs.rmSync(dir, { recursive: true, force: true });
    await cloud.stop();
    await db.stop();
  }
}
