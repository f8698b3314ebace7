/**
 * The process behind a session: its own scratch folder and minimal environment, stdout and stderr
 * together or apart, stdin piped or none, and signals and teardown reaching its whole group.
 */
import { existsSync, readFileSync } from "node:fs";
import { exitStatus, ProcessPipe, type ProcessOptions } from "./processPipe";

interface Run {
  pipe: ProcessPipe;
  stdout: () => string;
  stderr: () => string;
  /** The exit code and signal, once the process ended and its output was read. */
  ended: Promise<[number | null, NodeJS.Signals | null | undefined]>;
}

function run(script: string, options: ProcessOptions, stderrApart = false): Run {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let pipe!: ProcessPipe;
  const ended = new Promise<[number | null, NodeJS.Signals | null | undefined]>((resolve, reject) => {
    pipe = new ProcessPipe(
      "/bin/sh",
      ["-c", script],
      {
        onReady: () => undefined,
        onData: (d) => out.push(d),
        ...(stderrApart ? { onStderr: (d: Buffer) => err.push(d) } : {}),
        onEnd: (code, signal) => resolve([code, signal]),
        onError: reject,
      },
      options,
    );
  });
  return {
    pipe,
    stdout: () => Buffer.concat(out).toString(),
    stderr: () => Buffer.concat(err).toString(),
    ended,
  };
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Linux: a process that exited but was not reaped yet (a zombie) counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("ProcessPipe", () => {
  it("runs in a scratch HOME with only the minimal environment, removed at the end", async () => {
    process.env.PULUMI_SESSIONS_TEST_SECRET = "leak";
    try {
      const r = run('echo "$HOME"; pwd; env | sort | cut -d= -f1 | tr "\\n" " "', { env: { EXTRA: "1" } });
      expect(await r.ended).toEqual([0, null]);
      const [home, cwd, names] = r.stdout().split("\n");
      expect(cwd).toBe(home);
      expect(names?.trim().split(" ")).toEqual(expect.arrayContaining(["EXTRA", "HOME", "LANG", "PATH"]));
      expect(names).not.toContain("PULUMI_SESSIONS_TEST_SECRET");
      expect(existsSync(home!)).toBe(false);
    } finally {
      delete process.env.PULUMI_SESSIONS_TEST_SECRET;
    }
  });

  it("merges stderr into the output unless told apart", async () => {
    const merged = run("echo out; echo err >&2", { env: {} });
    await merged.ended;
    expect(merged.stdout().split("\n").sort()).toEqual(["", "err", "out"]);

    const apart = run("echo out; echo err >&2", { env: {} }, true);
    await apart.ended;
    expect(apart.stdout()).toBe("out\n");
    expect(apart.stderr()).toBe("err\n");
  });

  it("pipes the client's input to stdin, or drops it when stdin is ignored", async () => {
    const piped = run("cat", { env: {} });
    expect(piped.pipe.write(Buffer.from("typed\n"))).toBe(true);
    piped.pipe.endInput();
    expect(await piped.ended).toEqual([0, null]);
    expect(piped.stdout()).toBe("typed\n");

    const ignored = run("cat; echo after-cat", { env: {}, stdin: "ignore" });
    expect(ignored.pipe.write(Buffer.from("typed\n"))).toBe(true);
    expect(await ignored.ended).toEqual([0, null]);
    expect(ignored.stdout()).toBe("after-cat\n");
  });

  it("signals the process group; the exit status is 128 + the signal's number", async () => {
    const r = run("echo started; exec sleep 30", { env: {} });
    await until(() => r.stdout() !== "");
    r.pipe.signal("SIGTERM");
    const [code, signal] = await r.ended;
    expect([code, signal]).toEqual([null, "SIGTERM"]);
    expect(exitStatus(code, signal)).toBe(143);
    expect(exitStatus(4, null)).toBe(4);
    expect(exitStatus(null, "SIGPIPE")).toBe(141);
  });

  it("destroy kills everything the process started", async () => {
    const r = run("sleep 30 & echo $!; wait", { env: {} });
    await until(() => r.stdout().includes("\n"));
    const background = Number(r.stdout().trim());
    expect(alive(background)).toBe(true);
    r.pipe.destroy();
    await r.ended;
    await until(() => !alive(background));
    expect(alive(background)).toBe(false);
  });
});
