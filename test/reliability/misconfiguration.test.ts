/**
 * What a user sees at `pulumi up` when the stack is misconfigured: a wrong secret, an unknown
 * key id, a region that does not exist, a region the instance is not in, an endpoint nothing
 * listens on. Each must fail with one line that names the API, the cloud's code and what to do,
 * and must create nothing, neither in the cloud nor in state. A local cloud that went away
 * after `up` fails refresh and destroy at once, with one line each and no stack trace.
 */
import * as net from "node:net";
import * as path from "node:path";
import type { LocalCloud } from "../../emulator/server";
import {
  cloudSessions,
  createSessionStack,
  LOCAL_KEY,
  startCloudFor,
  targetsFor,
  TERMINAL_SESSION_TYPE,
  type SessionStackOptions,
  type Target,
} from "../support/localCloudStack";

jest.setTimeout(600_000);

const PROGRAM = path.join(__dirname, "programs", "sessions");
const targets = targetsFor(1, { instancesPerRegion: 1 });

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startCloudFor(targets);
});

afterAll(async () => {
  await cloud?.stop();
});

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `up` of one session with the given settings; returns the CLI's output. */
async function upWith(options: Partial<SessionStackOptions>, sessionTargets: Target[] = targets) {
  const stack = await createSessionStack({
    program: PROGRAM,
    endpoint: cloud.url,
    region: sessionTargets[0].region,
    ...options,
    config: { "reliability:count": "1", "reliability:targets": JSON.stringify(sessionTargets) },
  });
  try {
    const result = await stack.up({ allowFailure: true });
    const inState = await stack.resourcesOfType(TERMINAL_SESSION_TYPE);
    return { ...result, output: `${result.stdout}\n${result.stderr}`, inState };
  } finally {
    stack.cleanup();
  }
}

/** The `error:` lines about the session (the engine repeats the cause under Diagnostics). */
function causeLines(output: string): string[] {
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("error: StartTerminalSession failed"));
}

const cases: Array<{
  name: string;
  options: () => Promise<Partial<SessionStackOptions>>;
  where?: Target[];
  cause: RegExp;
}> = [
  {
    name: "a wrong access key secret",
    options: async () => ({
      key: { accessKeyId: LOCAL_KEY.accessKeyId, accessKeySecret: "not-the-right-secret" },
    }),
    cause:
      /failed with SignatureDoesNotMatch \(HTTP 400, request id [0-9A-F-]+, 1 attempt\): .+\. Check alicloud:secretKey/,
  },
  {
    name: "an access key id the cloud does not know",
    options: async () => ({
      key: { accessKeyId: "LTAIunknownkey0001", accessKeySecret: LOCAL_KEY.accessKeySecret },
    }),
    cause: /failed with InvalidAccessKeyId\.NotFound \(HTTP 404, .*\): .+\. Check alicloud:accessKey/,
  },
  {
    name: "a region that does not exist",
    options: async () => ({}),
    where: targets.map((t) => ({ ...t, region: "cn-hangzou" })),
    cause: /failed with InvalidRegionId\.NotFound \(HTTP 404, .*\): .+\. Check the region/,
  },
  {
    name: "a region the instance is not in",
    options: async () => ({}),
    where: targets.map((t) => ({ ...t, region: "cn-beijing" })),
    cause:
      /failed with InvalidInstance\.NotFound \(HTTP 404, .*\): .+\. Check instanceIds: the instance does not exist in this region/,
  },
  {
    name: "an endpoint nothing listens on",
    options: async () => ({ endpoint: `http://127.0.0.1:${await closedPort()}` }),
    // One attempt: a refused connection is not retried (nothing listens there).
    cause:
      /failed with ECONNREFUSED \(1 attempt\): connect ECONNREFUSED 127\.0\.0\.1:\d+ \(POST http:\/\/127\.0\.0\.1:\d+\/\)\. Nothing accepts connections at this endpoint: check sessions:localCloud or the product's endpoint override \(sessions:ecsEndpoint, sessions:dasEndpoint\), and that the local cloud is running\.$/,
  },
];

test.each(cases)("$name: one clear line at up, nothing created", async ({ options, where, cause }) => {
  const before = cloud.requestLog.list().length;
  const result = await upWith(await options(), where);

  expect(result.code).not.toBe(0);
  const lines = causeLines(result.output);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line).toMatch(cause);
  expect(result.output).not.toContain("not-the-right-secret");

  expect(result.inState).toEqual([]);
  expect(await cloudSessions(cloud)).toEqual([]);
  const starts = cloud.requestLog
    .list()
    .slice(before)
    .filter((r) => r.action === "StartTerminalSession");
  expect(starts.every((r) => r.status !== 200)).toBe(true);
});

test("a local cloud gone after up: refresh and destroy fail at once, one line each, no stack trace", async () => {
  const gone = await startCloudFor(targets);
  const stack = await createSessionStack({
    program: PROGRAM,
    endpoint: gone.url,
    region: targets[0].region,
    config: { "reliability:count": "1", "reliability:targets": JSON.stringify(targets) },
  });
  try {
    await stack.up();
    await gone.stop();
    for (const [step, api] of [
      ["refresh", "DescribeTerminalSessions"],
      ["destroy", "EndTerminalSession"],
    ] as const) {
      const result = await stack[step]({ allowFailure: true });
      expect(result.code).not.toBe(0);
      const output = `${result.stdout}\n${result.stderr}`;
      const lines = output.split("\n").filter((line) => line.includes(`${api} failed`));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        // The message once per line (the host logs `${err}: ${err.stack}`), with the attempt count.
        expect(line.match(new RegExp(`${api} failed`, "g"))).toHaveLength(1);
        expect(line).toMatch(
          /failed with ECONNREFUSED \(1 attempt\): connect ECONNREFUSED 127\.0\.0\.1:\d+ /,
        );
      }
      // No frames, least of all into the package's sources (not shipped).
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toContain("pulumi-sessions/provider/");
    }
    // Nothing was forgotten: the session is still in state for a destroy once the cloud is back.
    expect(await stack.resourcesOfType(TERMINAL_SESSION_TYPE)).toHaveLength(1);
  } finally {
    stack.cleanup();
  }
});
