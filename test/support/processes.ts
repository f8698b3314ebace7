/**
 * The child processes of this process, by name, from /proc (Linux). The e2e harness starts the
 * CLI with `execFile` and does not expose the child; a test that must send it a signal other
 * than the harness's SIGTERM (a user's Ctrl-C is SIGINT) finds it here, by parent id, so it only
 * ever signals a process it started itself.
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
