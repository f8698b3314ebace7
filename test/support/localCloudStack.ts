/**
 * Stacks of TerminalSessions against an in-process local cloud, for the reliability suite and
 * the benchmarks: where the sessions go (regions and instances), the local cloud's inventory
 * for that, a stack configured like `npm run demo` configures one, and the cloud's own count of
 * live sessions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import type { LocalCloudConfigInput } from "../../emulator/config";
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from "../../emulator/server";
import { dynamicType, RESOURCES } from "../../sdk/contract/resources";
import { TestStack, uniqueSuffix } from "./harness";
import { programRoot } from "./paths";
import { scanForSecrets, type SecretFinding } from "./secretsScan";

/** The Pulumi type token of TerminalSession. */
export const TERMINAL_SESSION_TYPE = dynamicType(RESOURCES.terminalSession);

/** The access key the local cloud accepts and the stacks sign with. */
export const LOCAL_KEY = { accessKeyId: "LTAIreliability0001", accessKeySecret: "reliability-secret-0001" };

/** Where one session goes. */
export interface Target {
  /** The ECS instance. */
  instanceId: string;
  /** Its region. */
  region: string;
}

/** How to spread sessions. */
export interface SpreadOptions {
  /**
   * At most this many sessions per region (default 50: the cloud allows 100 active sessions per
   * region, and a replacement briefly needs room for both).
   */
  perRegion?: number;
  /** Instances per region (default 5; 20 *connected* sessions per instance is the other limit). */
  instancesPerRegion?: number;
  /** Regions to use, in order (default: cn-hangzhou, cn-shanghai, cn-beijing, ...). */
  regions?: readonly string[];
}

const REGIONS = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-qingdao", "ap-southeast-1"];

/** The instances `count` sessions are spread over, round-robin: enough regions for `perRegion`. */
export function targetsFor(count: number, options: SpreadOptions = {}): Target[] {
  const perRegion = options.perRegion ?? 50;
  const regions = options.regions ?? REGIONS;
  const regionCount = Math.max(1, Math.ceil(count / perRegion));
  if (regionCount > regions.length)
    throw new Error(`${count} sessions need more than ${regions.length} regions`);
  const targets: Target[] = [];
  for (let r = 0; r < regionCount; r++) {
    for (let i = 0; i < (options.instancesPerRegion ?? 5); i++) {
      targets.push({
        region: regions[r],
        instanceId: `i-${regions[r].replace(/[^a-z0-9]/g, "")}${String(i).padStart(4, "0")}`,
      });
    }
  }
  // Round-robin over regions first, so `count` sessions fill every region evenly.
  return interleaveByRegion(targets);
}

function interleaveByRegion(targets: Target[]): Target[] {
  const byRegion = new Map<string, Target[]>();
  for (const t of targets) byRegion.set(t.region, [...(byRegion.get(t.region) ?? []), t]);
  const lists = [...byRegion.values()];
  const out: Target[] = [];
  for (let i = 0; out.length < targets.length; i++)
    for (const list of lists) if (i < list.length) out.push(list[i]);
  return out;
}

/** A local cloud holding `targets`' instances and accepting {@link LOCAL_KEY}. */
export function startCloudFor(
  targets: readonly Target[],
  extra: Omit<LocalCloudConfigInput, "credentials" | "ecs"> = {},
  options: LocalCloudOptions = {},
): Promise<LocalCloud> {
  return startLocalCloud(
    {
      ...extra,
      credentials: [LOCAL_KEY],
      ecs: { instances: targets.map((t) => ({ instanceId: t.instanceId, regionId: t.region })) },
    },
    options,
  );
}

/** What {@link createSessionStack} needs. */
export interface SessionStackOptions {
  /** Absolute path of the program folder. */
  program: string;
  /** Where the program's stack config points the provider (`sessions:localCloud`). */
  endpoint: string;
  /** `alicloud:region`, the default for sessions that set none. */
  region: string;
  /** More plain config. */
  config?: Record<string, string>;
  /** Overrides of the credentials (e.g. a wrong secret). */
  key?: { accessKeyId: string; accessKeySecret: string };
  /** Extra environment for the CLI (and so the program and the providers). */
  env?: Record<string, string>;
}

/**
 * A stack configured for a local cloud the way `npm run demo` does it, the secret half of the
 * key as secret config. Each stack gets its own name: the default ClientToken derives from the
 * URN, and reusing one against the same cloud would replay an ended session.
 */
export async function createSessionStack(options: SessionStackOptions): Promise<TestStack> {
  const key = options.key ?? LOCAL_KEY;
  const stack = await TestStack.create({
    program: options.program,
    config: {
      "sessions:localCloud": options.endpoint,
      "alicloud:region": options.region,
      "alicloud:accessKey": key.accessKeyId,
      ...options.config,
    },
    secrets: { "alicloud:secretKey": key.accessKeySecret },
    env: options.env,
    stackName: `s${uniqueSuffix()}`,
  });
  await pinInstalledPackage(stack.programDir);
  return stack;
}

/**
 * Gives the program its own copy of the package installed in programRoot()'s node_modules (the
 * repo's, laid out by `scripts/install-local.sh` as `npm install` would, or the packed tarball
 * beside an older @pulumi/pulumi). A copy, not the shared folder: other runs
 * reinstall that folder (swapping it) while long scenarios are under way, and the harness
 * copies programs under `.work/e2e/`, where a stray `node_modules/pulumi-sessions` would win.
 */
async function pinInstalledPackage(programDir: string): Promise<void> {
  const installed = path.join(programRoot(), "node_modules", "pulumi-sessions");
  // A reinstall by another run takes seconds: wait for it rather than fail.
  for (let waited = 0; !fs.existsSync(path.join(installed, "dist", "sdk", "index.js")); waited += 200) {
    if (waited > 60_000) throw new Error(`${installed} is not installed: run scripts/install-local.sh`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fs.cpSync(installed, path.join(programDir, "node_modules", "pulumi-sessions"), { recursive: true });
}

/**
 * Records every WebSocket URL and token the cloud hands out from now on (they are only ever in
 * StartTerminalSession's answer), so a scan can look for the real values, not just patterns.
 */
export function recordIssuedSecrets(cloud: LocalCloud): string[] {
  const issued: string[] = [];
  const open = cloud.dataPlane.open.bind(cloud.dataPlane);
  cloud.dataPlane.open = (spec) => {
    const channel = open(spec);
    issued.push(spec.token, channel.url);
    return channel;
  };
  return issued;
}

/** A test file's scenario: a stack of `count` sessions on a fresh local cloud of its own. */
export interface SessionScenario {
  readonly count: number;
  cloud: LocalCloud;
  admin: AdminClient;
  stack: TestStack;
  /** Every WebSocket URL and token the cloud issued (see {@link recordIssuedSecrets}). */
  issued: string[];
  /** What of the key's secret and the issued URLs and tokens stands in plaintext in state. */
  secretsInState(): Promise<SecretFinding[]>;
}

/**
 * Sets the scenario up before the file's tests (cloud, admin client, secrets recorder, stack of
 * `program` with `reliability:count` sessions spread by {@link targetsFor}) and tears it down after.
 */
export function useSessionScenario(program: string, count: number): SessionScenario {
  const targets = targetsFor(count);
  const scenario = {
    count,
    async secretsInState() {
      const documents = {
        "stack export": await scenario.stack.exportText(),
        "raw state": scenario.stack.rawState(),
      };
      return scanForSecrets(documents, [LOCAL_KEY.accessKeySecret, ...scenario.issued]);
    },
  } as SessionScenario;
  beforeAll(async () => {
    scenario.cloud = await startCloudFor(targets);
    scenario.admin = new AdminClient(scenario.cloud);
    scenario.issued = recordIssuedSecrets(scenario.cloud);
    scenario.stack = await createSessionStack({
      program,
      endpoint: scenario.cloud.url,
      region: targets[0].region,
      config: { "reliability:count": String(count), "reliability:targets": JSON.stringify(targets) },
    });
  });
  afterAll(async () => {
    scenario.cloud?.faults.clear();
    await scenario.stack?.destroy({ allowFailure: true });
    scenario.stack?.cleanup();
    await scenario.cloud?.stop();
  });
  return scenario;
}

/** One ECS session as the admin API's snapshot shows it. */
export interface CloudSession {
  sessionId: string;
  regionId: string;
  instanceIds: string[];
  /** Open or Ended. */
  state: string;
  /** Counts against the 100-per-region limit. */
  active: boolean;
  clientToken?: string;
  connections: Array<{ status: string }>;
}

/** Every ECS session record the local cloud holds (open and ended). */
export async function cloudSessions(cloud: LocalCloud): Promise<CloudSession[]> {
  const all = await new AdminClient(cloud).sessions();
  return (all.ecs ?? []) as CloudSession[];
}

/** The sessions not ended yet. */
export async function openSessions(cloud: LocalCloud): Promise<CloudSession[]> {
  return (await cloudSessions(cloud)).filter((s) => s.state === "Open");
}
