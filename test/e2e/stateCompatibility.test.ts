/**
 * State written by the version before the one-folder layout (commit 1a32829) keeps working: every
 * resource in it stores `__provider` as a require of `pulumi-sessions/dist/provider/resources/
 * <name>`, the module paths that are a contract. The test imports that version's exported stack
 * into a fresh `file://` backend, restarts a local cloud from that version's persisted records,
 * and runs `pulumi refresh` (the current code reads every resource through the old paths; nothing
 * changes) and `pulumi destroy` (every session ends in the local cloud, the stack is empty).
 *
 * The fixture (fixtures/state-before-layout/) holds one resource of every kind. To remake it, run
 * `test/e2e/fixtures/state-before-layout/regenerate.sh` (it builds that commit in a scratch folder
 * and runs ./program with it against its own local cloud and MariaDB). Its files carry the local
 * cloud's address as LOCAL_CLOUD_HOST, put back here; secret values are encrypted with the e2e
 * harness's passphrase, and the keys and passwords in them are made up for the fixture.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AdminClient } from "../../emulator/admin/client";
import type { LocalCloudConfigInput } from "../../emulator/config";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { freePort } from "../../provider/tunnel/inputs";
import { TestStack, type StateResource } from "../support/harness";
import { liveSessions } from "../support/liveSessions";

const FIXTURE = path.join(__dirname, "fixtures", "state-before-layout");
const PLACEHOLDER = /LOCAL_CLOUD_HOST/g;
const fixtureText = (name: string) => fs.readFileSync(path.join(FIXTURE, name), "utf8");

/** Each resource kind of the fixture, with the module its state names. */
const KINDS = {
  "alicloud:TerminalSession": "terminalSession",
  "alicloud:TerminalSessionRevocation": "terminalSessionRevocation",
  "alicloud:KillInstanceSessionTask": "killInstanceSessionTask",
  "aws:SsmSession": "ssmSession",
  "aws:SsmSessionRevocation": "ssmSessionRevocation",
};

let dir: string;
let cloud: LocalCloud;
let admin: AdminClient;
let stack: TestStack;
/** The fixture's sessions, as liveSessions() names them. */
let sessions: string[];

/**
 * The dynamic resources of the stack with secrets shown (their ciphertexts change at each write),
 * keyed by type without the `pulumi-nodejs:dynamic/` prefix.
 */
async function sessionResources(): Promise<Map<string, StateResource>> {
  const exported = JSON.parse((await stack.pulumi(["stack", "export", "--show-secrets"])).stdout) as {
    deployment: { resources?: StateResource[] };
  };
  return new Map(
    (exported.deployment.resources ?? [])
      .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
      .map((r) => [r.type.slice("pulumi-nodejs:dynamic/".length), r]),
  );
}

/** What state holds of one resource, with its kind to name it in a failure. */
function stored(resources: Map<string, StateResource>, kind: string) {
  const { id, inputs, outputs } = resources.get(kind)!;
  return { kind, id, inputs, outputs };
}

/**
 * The text with every time of the cloud's own form (`2026-12-06T21:18:56Z`, or with milliseconds)
 * moved by `ms`, a whole number of seconds; the engine's nanosecond times are left as they are.
 */
function shiftTimes(text: string, ms: number): string {
  return text.replace(
    /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{3})?Z"/g,
    (_, seconds: string, millis?: string) => {
      const moved = new Date(Date.parse(`${seconds}${millis ?? ""}Z`) + ms).toISOString();
      return `"${millis === undefined ? moved.replace(/\.\d{3}Z$/, "Z") : moved}"`;
    },
  );
}

/** Requests the local cloud served from now on, as `<service> <action>`. */
async function requestsFrom(since: number): Promise<string[]> {
  return (await admin.requests()).slice(since).map((r) => `${r.service} ${r.action}`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-state-compat-"));
  // A port nothing listens on now: the records name the local cloud's address before it starts.
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const stateDir = path.join(dir, "cloud");
  fs.mkdirSync(stateDir, { mode: 0o700 });
  const records = fixtureText("cloud-state.json");
  // Every time in the fixture moves to now, as if the old version had just stopped: its sessions
  // are as live as then for the cloud and for the provider, which judges by the clock too.
  const savedAt = Date.parse((JSON.parse(records) as { savedAt: string }).savedAt);
  const shift = Math.round((Date.now() - savedAt) / 1000) * 1000;
  const recordsNow = shiftTimes(records, shift).replace(PLACEHOLDER, host);
  fs.writeFileSync(path.join(stateDir, "state.json"), recordsNow, { mode: 0o600 });
  const config = JSON.parse(fixtureText("local-cloud.json")) as LocalCloudConfigInput;
  cloud = await startLocalCloud({ ...config, port, stateDir });
  admin = new AdminClient(cloud);

  // The fixture's URNs name its project and stack: the same here.
  stack = await TestStack.create({ program: path.join(FIXTURE, "program"), stackName: "test" });
  const exported = path.join(dir, "stack.json");
  fs.writeFileSync(exported, shiftTimes(fixtureText("stack.json"), shift).replace(PLACEHOLDER, host));
  await stack.pulumi(["stack", "import", "--file", exported]);
});

afterAll(async () => {
  stack?.cleanup();
  await cloud?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the imported stack holds one resource of every kind, each naming its old module path", async () => {
  const resources = await sessionResources();
  expect([...resources.keys()].sort()).toEqual(Object.keys(KINDS).sort());
  for (const [kind, module] of Object.entries(KINDS)) {
    expect(resources.get(kind)!.inputs!.__provider).toContain(
      `require("pulumi-sessions/dist/provider/resources/${module}")`,
    );
  }
  sessions = [
    `ecs ${resources.get("alicloud:TerminalSession")!.id}`,
    `ssm ${resources.get("aws:SsmSession")!.id}`,
  ];
  // The restarted local cloud still holds them.
  expect((await liveSessions(admin)).sort()).toEqual(sessions);
});

test("refresh reads every resource through those paths and changes nothing", async () => {
  const before = await sessionResources();
  const since = (await admin.requests()).length;
  const refresh = await stack.refresh();
  expect(refresh.stdout).not.toMatch(/\b(deleted|updated|error)\b/i);
  const after = await sessionResources();
  for (const kind of Object.keys(KINDS)) expect(stored(after, kind)).toEqual(stored(before, kind));
  // The reads reached the cloud: each session and the kill task's result.
  expect(await requestsFrom(since)).toEqual(
    expect.arrayContaining([
      "ecs DescribeTerminalSessions",
      "ssm DescribeSessions",
      "das GetKillInstanceSessionTaskResult",
    ]),
  );
  expect((await liveSessions(admin)).sort()).toEqual(sessions);
});

test("destroy ends every session in the local cloud and empties the stack", async () => {
  const since = (await admin.requests()).length;
  await stack.destroy();
  expect(await stack.resources()).toEqual([]);
  expect(await liveSessions(admin)).toEqual([]);
  expect(await requestsFrom(since)).toEqual(
    expect.arrayContaining(["ecs EndTerminalSession", "ssm TerminateSession"]),
  );
});
