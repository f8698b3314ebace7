/**
 * The two documented limits of StartTerminalSession, as a user of a big stack meets them:
 * - at most 100 active sessions per region: the 101st session of a stack fails at `up`;
 * - at most 20 connected sessions per instance: with 20 sessions connected, adding a 21st on the
 *   same instance fails at `up` (the local cloud applies this limit when a session starts, and
 *   again when it connects: the emulator's data-plane tests cover the connect side).
 * Both fail with SessionCount.ExceedLimit and the provider's explanation of both limits; what
 * was created stays in state, and destroy ends it.
 */
import * as path from "node:path";
import type { LocalCloud } from "../../emulator/server";
import { EcsChannel, type EcsChannelEnd } from "../../client/ecs/channel";
import type { TestStack } from "../support/harness";
import {
  cloudSessions,
  createSessionStack,
  openSessions,
  startCloudFor,
  targetsFor,
  TERMINAL_SESSION_TYPE,
  type Target,
} from "../support/localCloudStack";

jest.setTimeout(600_000);

const PROGRAM = path.join(__dirname, "programs", "sessions");
/** The one line the user gets, whichever limit was hit. */
const LIMIT_ERROR =
  /error: StartTerminalSession failed with SessionCount\.ExceedLimit \(HTTP 403, .*\): The number of sessions exceeds the upper limit\. Too many sessions: at most 100 active per region and 20 connected per instance\. End unused sessions first\./;

let cloud: LocalCloud | undefined;
let stack: TestStack | undefined;
/** Our client's connections, and how each ended. */
const sockets: Array<{ channel: EcsChannel; closed: Promise<EcsChannelEnd> }> = [];

async function connect(url: string): Promise<{ channel: EcsChannel; closed: Promise<EcsChannelEnd> }> {
  let resolve!: (end: EcsChannelEnd) => void;
  const closed = new Promise<EcsChannelEnd>((r) => (resolve = r));
  const channel = await EcsChannel.open(url, { onOutput: () => undefined, onEnd: resolve });
  return { channel, closed };
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.channel.close();
  await stack?.destroy({ allowFailure: true });
  stack?.cleanup();
  await cloud?.stop();
  stack = undefined;
  cloud = undefined;
});

async function sessionStack(count: number, targets: Target[]): Promise<TestStack> {
  return createSessionStack({
    program: PROGRAM,
    endpoint: cloud!.url,
    region: targets[0].region,
    config: { "reliability:count": String(count), "reliability:targets": JSON.stringify(targets) },
  });
}

test("the 101st session in a region fails with the limit explained; the 100 others are kept", async () => {
  const targets = targetsFor(101, { perRegion: 101, instancesPerRegion: 6 });
  expect(new Set(targets.map((t) => t.region)).size).toBe(1);
  cloud = await startCloudFor(targets);
  stack = await sessionStack(101, targets);

  const result = await stack.up({ allowFailure: true });
  expect(result.code).not.toBe(0);
  expect(result.stdout).toMatch(LIMIT_ERROR);
  // Exactly one session was refused; the rest exist, in the cloud and in state.
  const sessions = await cloudSessions(cloud);
  expect(sessions).toHaveLength(100);
  expect(sessions.every((s) => s.active)).toBe(true);
  const inState = await stack.resourcesOfType(TERMINAL_SESSION_TYPE);
  expect(inState.map((r) => r.id).sort()).toEqual(sessions.map((s) => s.sessionId).sort());

  await stack.destroy();
  expect(await openSessions(cloud)).toEqual([]);
});

test("a 21st session on an instance with 20 connected fails with the limit explained", async () => {
  const targets = targetsFor(1, { instancesPerRegion: 1 });
  cloud = await startCloudFor(targets);
  stack = await sessionStack(20, targets);
  await stack.up();

  // Connect to all 20 as a user would: the WebSocket URLs from the (secret) stack outputs.
  const urls = (await stack.outputs()).webSocketUrls as string[];
  expect(urls).toHaveLength(20);
  sockets.push(...(await Promise.all(urls.map(connect))));
  await waitFor(async () =>
    (await openSessions(cloud!)).every((s) => s.connections.some((c) => c.status === "Connected")),
  );

  await stack.setConfig("reliability:count", "21");
  const result = await stack.up({ allowFailure: true });
  expect(result.code).not.toBe(0);
  expect(result.stdout).toMatch(LIMIT_ERROR);
  expect(await cloudSessions(cloud)).toHaveLength(20);
  expect(await stack.resourcesOfType(TERMINAL_SESSION_TYPE)).toHaveLength(20);

  // Ending the sessions (destroy) disconnects their clients, with the status message they understand.
  await stack.destroy();
  expect(await openSessions(cloud)).toEqual([]);
  const closed = await Promise.all(sockets.map((s) => s.closed));
  expect(closed).toHaveLength(20);
  for (const end of closed) expect(end).toMatchObject({ closeCode: 4002, reason: "Exit" });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the sessions to be connected");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
