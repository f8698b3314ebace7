/**
 * `pulumi up` of 50 sessions interrupted half-way with Ctrl-C (SIGINT), then the user's way back:
 * `pulumi refresh` and `pulumi destroy`. The cloud is slowed down (a latency fault on
 * StartTerminalSession) so the interruption lands while sessions are being created. Whatever the
 * engine recorded, state and cloud must agree afterwards, and destroy must leave nothing live.
 */
import * as path from "node:path";
import {
  cloudSessions,
  openSessions,
  TERMINAL_SESSION_TYPE,
  useSessionScenario,
} from "../support/localCloudStack";
import { childPids } from "../support/processes";

jest.setTimeout(600_000);

const scenario = useSessionScenario(path.join(__dirname, "programs", "sessions"), 50);

interface PendingOperation {
  type: string;
  resource: { urn: string };
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("up interrupted with SIGINT half-way, then refresh and destroy leave nothing behind", async () => {
  // One second per start: 50 sessions at the engine's default parallelism (8) take ~7 s.
  await scenario.admin.addFault({
    service: "ecs",
    action: "StartTerminalSession",
    kind: "latency",
    latencyMs: 1000,
  });
  const up = scenario.stack.up({ allowFailure: true });
  await until(async () => (await cloudSessions(scenario.cloud)).length >= 16, "16 sessions to exist");
  const [pid] = childPids("pulumi");
  expect(pid).toBeDefined();
  process.kill(pid, "SIGINT");
  const interrupted = await up;

  expect(interrupted.code).not.toBe(0);
  expect(interrupted.stdout).toMatch(/\^C received; cancelling/);
  expect(interrupted.stdout + interrupted.stderr).toMatch(/update cancel+ed/);
  const created = await cloudSessions(scenario.cloud);
  expect(created.length).toBeLessThan(scenario.count);

  // Ctrl-C lets the creates under way finish and records them: no pending operation is left.
  // (A second Ctrl-C, "terminate immediately", does leave pending creates; see the README of
  // this suite for why 3.248 cannot recover those without leaking sessions.)
  const exported = JSON.parse(await scenario.stack.exportText()) as {
    deployment: { pending_operations?: PendingOperation[] };
  };
  expect(exported.deployment.pending_operations ?? []).toEqual([]);

  // State and cloud agree: every session the cloud started is in state, nothing else is.
  const inState = await scenario.stack.resourcesOfType(TERMINAL_SESSION_TYPE);
  expect(inState.map((r) => r.id).sort()).toEqual(created.map((s) => s.sessionId).sort());
  expect(await scenario.secretsInState()).toEqual([]);

  scenario.cloud.faults.clear();
  await scenario.stack.refresh();
  expect((await scenario.stack.resourcesOfType(TERMINAL_SESSION_TYPE)).length).toBe(created.length);

  await scenario.stack.destroy();
  expect(await openSessions(scenario.cloud)).toEqual([]);
  expect(await scenario.stack.resourcesOfType(TERMINAL_SESSION_TYPE)).toEqual([]);
});
