/**
 * Processes of this test run, from /proc (Linux).
 *
 * The child processes of this process, by name: the e2e harness starts the CLI with `execFile`
 * and does not expose the child; a test that must send it a signal other than the harness's
 * SIGTERM (a user's Ctrl-C is SIGINT) finds it here, by parent id, so it only ever signals a
 * process it started itself.
 */
import * as fs from "node:fs";

/** Ids of this process's direct children whose command name is `name` (e.g. `pulumi`). */
export function childPids(name: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so split at the last ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    if (comm === name && ppid === process.pid) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Ids of the processes, other than this one, whose environment holds `name=value`: what a
 * stack's commands started, found by the stack's private PULUMI_HOME even once orphaned (the
 * engine gives each plugin a process group of its own, so no group kill reaches them).
 */
export function pidsWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (environ.split("\0").includes(wanted)) pids.push(Number(entry));
  }
  return pids;
}
