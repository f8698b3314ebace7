/**
 * The Command lifecycle over a fake cloud: which script each step runs, that every session is
 * ended whatever happens, failures with exit code and masked tail, secret streams, the slots.
 */
import { SECRET_STREAMS_PROPERTY, SECRET_VALUES_PROPERTY } from "../../../sdk/contract/resources";
import type { AlicloudRpcClient } from "../../clients/alicloud";
import { alicloudCommandLifecycle } from "../alicloudCommand/lifecycle";
import type { ScriptResult, ScriptRun } from "./script";

const SECRET = "hunter2-very-secret";

interface Call {
  op: "start" | "end";
  sessionId?: string;
}

/** A lifecycle whose sessions run `respond` instead of a script, recording starts and ends. */
function setup(respond: (run: ScriptRun) => Promise<ScriptResult>) {
  const calls: Call[] = [];
  const runs: ScriptRun[] = [];
  const logged: string[] = [];
  let next = 0;
  // The cloud: StartTerminalSession and EndTerminalSession through a fake RPC client.
  const client = {
    call: async (action: string, params: Record<string, unknown>) => {
      if (action === "StartTerminalSession") {
        const sessionId = `s-${++next}`;
        calls.push({ op: "start", sessionId });
        return { body: { SessionId: sessionId, WebSocketUrl: `ws://x/${sessionId}`, RequestId: "r" } };
      }
      calls.push({ op: "end", sessionId: String(params.SessionId) });
      return { body: { RequestId: "r" } };
    },
  } as unknown as AlicloudRpcClient;
  const lifecycle = alicloudCommandLifecycle({
    env: {},
    client: () => client,
    log: (line) => logged.push(line),
    commandLine: () => "fixed",
    runScript: (url, run) => {
      runs.push(run);
      return respond(run);
    },
  });
  return { lifecycle, calls, runs, logged };
}

const ok = (stdout = "done\n"): Promise<ScriptResult> =>
  Promise.resolve({ stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode: 0, merged: true });

const base = { instanceId: "i-1", region: "cn-hangzhou", create: "echo create" };

test("create runs create in one session and ends it; outputs carry stdout and the exit code", async () => {
  const { lifecycle, calls, runs, logged } = setup(async (run) => {
    run.onOutput?.("stdout", Buffer.from("line one\nline "));
    run.onOutput?.("stdout", Buffer.from("two\n"));
    return ok("line one\nline two\n");
  });
  const { id, outs } = await lifecycle.create({ ...base });
  expect(id).toMatch(/^[0-9a-f]{16}$/);
  expect(outs).toMatchObject({
    stdout: "line one\nline two\n",
    stderr: "",
    exitCode: 0,
    create: "echo create",
  });
  expect(runs[0].script).toBe("echo create");
  expect(runs[0].timeoutMs).toBe(600_000);
  expect(calls).toEqual([
    { op: "start", sessionId: "s-1" },
    { op: "end", sessionId: "s-1" },
  ]);
  expect(logged).toEqual([
    "alicloud.Command create on i-1: line one\n",
    "alicloud.Command create on i-1: line two\n",
  ]);
});

test("a non-zero exit fails with the code and the masked tail, and the session is ended", async () => {
  const { lifecycle, calls } = setup(() =>
    Promise.resolve({
      stdout: Buffer.from(`a\nusing ${SECRET}\nboom\n`),
      stderr: Buffer.alloc(0),
      exitCode: 3,
      merged: true,
    }),
  );
  const failure = lifecycle.create({ ...base, environment: { TOKEN: SECRET } });
  await expect(failure).rejects.toMatchObject({ name: "CommandError", code: "NonZeroExit", exitCode: 3 });
  const message = ((await failure.catch((e: Error) => e)) as Error).message;
  expect(message).toContain("exited with code 3");
  expect(message).toContain("using [secret]\nboom");
  expect(message).not.toContain(SECRET);
  expect(calls.map((c) => c.op)).toEqual(["start", "end"]);
});

test("the live log masks the values the program marked secret, and only those, in every step", async () => {
  const script = (run: ScriptRun) => {
    run.onOutput?.("stdout", Buffer.from(`release ${run.environment!.NAME} by ${run.environment!.TOKEN}\n`));
    return ok();
  };
  const { lifecycle, logged } = setup(script);
  const props = {
    ...base,
    delete: "echo bye",
    environment: { NAME: "blue-green", TOKEN: SECRET },
    [SECRET_VALUES_PROPERTY]: ["environment.TOKEN"],
  };
  const { outs } = await lifecycle.create(props);
  // The delete runs from state, which keeps which values were secret.
  expect(outs![SECRET_VALUES_PROPERTY]).toEqual(["environment.TOKEN"]);
  await lifecycle.delete("id", outs!);
  expect(logged).toEqual([
    "alicloud.Command create on i-1: release blue-green by [secret]\n",
    "alicloud.Command delete on i-1: release blue-green by [secret]\n",
  ]);
  // A whole secret environment masks all of it; a program that says nothing masks every value.
  logged.length = 0;
  await lifecycle.create({ ...props, [SECRET_VALUES_PROPERTY]: ["environment"] });
  await lifecycle.create({ ...props, [SECRET_VALUES_PROPERTY]: undefined });
  expect(logged).toEqual([
    "alicloud.Command create on i-1: release [secret] by [secret]\n",
    "alicloud.Command create on i-1: release [secret] by [secret]\n",
  ]);
});

test("a change of which values are secret updates the record without running anything", async () => {
  const { lifecycle } = setup(() => ok());
  const olds = { ...base, environment: { A: "abcd" }, [SECRET_VALUES_PROPERTY]: [] };
  const news = { ...olds, [SECRET_VALUES_PROPERTY]: ["environment.A"] };
  expect(await lifecycle.diff("id", olds, news)).toMatchObject({ changes: true, replaces: [] });
  expect(await lifecycle.diff("id", olds, { ...olds })).toMatchObject({ changes: false });
  const { inputs } = await lifecycle.check({}, news);
  expect(inputs?.[SECRET_VALUES_PROPERTY]).toEqual(["environment.A"]);
});

test("a timeout fails with no exit code and the tail, and the session is ended", async () => {
  const { lifecycle, calls } = setup(() =>
    Promise.reject(Object.assign(new Error("timed out"), { code: "Timeout", outputTail: "waiting\n" })),
  );
  const failure = lifecycle.create({ ...base, timeout: 2 });
  await expect(failure).rejects.toMatchObject({ code: "Timeout" });
  expect(((await failure.catch((e: Error) => e)) as Error).message).toMatch(
    /timed out after \d+ s, with no exit code.*\nstdout:\nwaiting/s,
  );
  expect(calls.map((c) => c.op)).toEqual(["start", "end"]);
});

test("update runs update when a script or the environment changes, and only then", async () => {
  const { lifecycle, runs } = setup(() => ok());
  const olds = { ...base, update: "echo update", stdout: "old", stderr: "", exitCode: 0 };
  await lifecycle.update("id", olds, { ...base, update: "echo update", logging: "none" });
  expect(runs).toHaveLength(0);
  await lifecycle.update("id", olds, { ...base, update: "echo update", environment: { A: "1" } });
  expect(runs.map((r) => r.script)).toEqual(["echo update"]);
  await lifecycle.update("id", { ...base }, { ...base, create: "echo two" });
  expect(runs.map((r) => r.script)).toEqual(["echo update", "echo two"]);
});

test("diff replaces on triggers, instance, region and user; other changes update in place", async () => {
  const { lifecycle } = setup(() => ok());
  const diff = (news: Record<string, unknown>) => lifecycle.diff("id", { ...base }, { ...base, ...news });
  expect(await diff({ triggers: [1] })).toMatchObject({ changes: true, replaces: ["triggers"] });
  expect(await diff({ instanceId: "i-2" })).toMatchObject({ replaces: ["instanceId"] });
  expect(await diff({ username: "admin" })).toMatchObject({ replaces: ["username"] });
  expect(await diff({ create: "x" })).toMatchObject({ changes: true, replaces: [] });
  expect(await diff({})).toMatchObject({ changes: false });
});

test("delete runs delete with the inputs in state; without one nothing starts", async () => {
  const { lifecycle, calls, runs } = setup(() => ok());
  await lifecycle.delete("id", { ...base });
  expect(calls).toEqual([]);
  await lifecycle.delete("id", { ...base, delete: "echo bye", stdin: "input" });
  expect(runs[0].script).toBe("echo bye");
  expect(runs[0].stdin?.toString()).toBe("input");
});

test("outputs are secret envelopes when the program says an input is secret", async () => {
  const { lifecycle } = setup(() => ok("secret out"));
  const { outs } = await lifecycle.create({ ...base, [SECRET_STREAMS_PROPERTY]: true });
  expect(outs!.stdout).toEqual({
    "4dabf18193072939515e22adb298388d": expect.any(String),
    value: "secret out",
  });
  const read = await lifecycle.read("id", { ...base, [SECRET_STREAMS_PROPERTY]: true, stdout: "x" });
  expect(read.props!.stdout).toMatchObject({ value: "x" });
});

test("check names the field and the rule, and runs nothing", async () => {
  const { lifecycle, calls } = setup(() => ok());
  const { failures } = await lifecycle.check(
    {},
    { ...base, create: "", timeout: 0, stdin: "a", stdinBase64: "YQ==", environment: { "1A": "x" } },
  );
  const reasons = failures!.map((f) => `${f.property}: ${f.reason}`);
  expect(reasons).toEqual(
    expect.arrayContaining([
      "create: create must not be empty: leave it unset instead",
      "timeout: timeout must be at least 1 second (rule 1..86400)",
      expect.stringMatching(/^stdinBase64: stdinBase64: stdin and stdinBase64 cannot both be set/),
      expect.stringMatching(/^environment: environment names must be shell variable names/),
    ]),
  );
  expect(calls).toEqual([]);
});

test("thirty runs on one instance hold at most 16 sessions at once, and all succeed", async () => {
  let live = 0;
  let peak = 0;
  const { lifecycle, calls } = setup(async () => {
    peak = Math.max(peak, ++live);
    await new Promise((r) => setTimeout(r, 5));
    live--;
    return ok();
  });
  await Promise.all(Array.from({ length: 30 }, (_, i) => lifecycle.create({ ...base, create: `echo ${i}` })));
  expect(peak).toBe(16);
  expect(calls.filter((c) => c.op === "end")).toHaveLength(30);
});
