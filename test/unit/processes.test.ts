/**
 * How a stack's cleanup finds what its commands left running: by the private PULUMI_HOME in the
 * process's environment, even once the process has been orphaned and sits in a group of its own.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { pidsWithEnv } from "../support/processes";

test("finds a detached process by a variable of its environment, and only it", async () => {
  const home = `/tmp/home-${randomBytes(6).toString("hex")}`;
  const marked = spawn("sleep", ["30"], {
    env: { PATH: process.env.PATH, PULUMI_HOME: home },
    detached: true,
  });
  const other = spawn("sleep", ["30"], { env: { PATH: process.env.PATH, PULUMI_HOME: `${home}-other` } });
  try {
    await Promise.all([marked, other].map((c) => new Promise((r) => c.once("spawn", r))));
    expect(pidsWithEnv("PULUMI_HOME", home)).toEqual([marked.pid]);
    marked.kill("SIGKILL");
    await new Promise((r) => marked.once("exit", r));
    expect(pidsWithEnv("PULUMI_HOME", home)).toEqual([]);
  } finally {
    marked.kill("SIGKILL");
    other.kill("SIGKILL");
  }
});
