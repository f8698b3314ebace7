/**
 * 50 sessions against a cloud that throttles, fails and loses responses on the calls that change
 * things (StartTerminalSession, EndTerminalSession): `up` still creates exactly one session per
 * resource (the ClientToken makes a retried start idempotent, even when the first start was
 * applied and its response lost), `destroy` ends them all, and nothing secret reaches state.
 */
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import type { LocalCloud } from "../../emulator/server";
import type { TestStack } from "../e2e/harness";
import {
  cloudSessions,
  createSessionStack,
  LOCAL_KEY,
  openSessions,
  recordIssuedSecrets,
  startCloudFor,
  targetsFor,
  TERMINAL_SESSION_TYPE,
} from "../support/localCloudStack";
import { scanForSecrets } from "../support/secretsScan";

jest.setTimeout(600_000);

const COUNT = 50;
const PROGRAM = path.join(__dirname, "programs", "sessions");
const targets = targetsFor(COUNT);

let cloud: LocalCloud;
let admin: AdminClient;
let stack: TestStack;
let issued: string[];

beforeAll(async () => {
  cloud = await startCloudFor(targets);
  admin = new AdminClient(cloud.url);
  issued = recordIssuedSecrets(cloud);
  stack = await createSessionStack({
    program: PROGRAM,
    endpoint: cloud.url,
    region: targets[0].region,
    config: { "reliability:count": String(COUNT), "reliability:targets": JSON.stringify(targets) },
  });
});

afterAll(async () => {
  cloud?.faults.clear();
  await stack?.destroy({ allowFailure: true });
  stack?.cleanup();
  await cloud?.stop();
});

test("up and destroy of 50 sessions under throttling, 5xx and lost responses", async () => {
  for (const action of ["StartTerminalSession", "EndTerminalSession"]) {
    await admin.addFault({ service: "ecs", action, kind: "throttle", probability: 0.2 });
    await admin.addFault({ service: "ecs", action, kind: "serverError", probability: 0.1 });
    await admin.addFault({ service: "ecs", action, kind: "dropResponse", probability: 0.05 });
  }

  await stack.up();

  // The faults really fired and were retried through (else this test proves nothing).
  const starts = (await admin.requests()).filter((r) => r.action === "StartTerminalSession");
  expect(starts.filter((r) => r.faults !== undefined).length).toBeGreaterThan(0);
  expect(starts.length).toBeGreaterThan(COUNT);

  // Exactly one session per resource ever existed: a lost response never led to a second one.
  const sessions = await cloudSessions(cloud);
  expect(sessions).toHaveLength(COUNT);
  expect(sessions.every((s) => s.state === "Open")).toBe(true);
  const inState = await stack.resourcesOfType(TERMINAL_SESSION_TYPE);
  expect(inState.map((r) => r.id).sort()).toEqual(sessions.map((s) => s.sessionId).sort());

  const findings = scanForSecrets(
    { "stack export": await stack.exportText(), "raw state": stack.rawState() },
    [LOCAL_KEY.accessKeySecret, ...issued],
  );
  expect(findings).toEqual([]);
  expect(issued.length).toBe(2 * COUNT);

  await stack.destroy();
  const ends = (await admin.requests()).filter((r) => r.action === "EndTerminalSession");
  expect(ends.filter((r) => r.faults !== undefined).length).toBeGreaterThan(0);
  expect(ends.length).toBeGreaterThan(COUNT);
  expect(await openSessions(cloud)).toEqual([]);
  expect(await stack.resourcesOfType(TERMINAL_SESSION_TYPE)).toEqual([]);
});
