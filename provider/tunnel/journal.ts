/**
 * The tunnels' journal: one file per session a tunnel has started and not yet ended, so that a
 * session a crashed run left behind (the plugin killed, the machine gone) is ended by the next
 * run of the same tunnel. A record holds no secret: the cloud, the session id, its region, the
 * tunnel's URN and the process that owns it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface JournalRecord {
  cloud: "aws" | "alicloud";
  sessionId: string;
  region: string;
  /** The tunnel (the provider resource's URN). */
  urn: string;
  /** The plugin process that opened it. */
  pid: number;
  startedAt: string;
}

/** Where records live: `PULUMI_SESSIONS_TUNNEL_JOURNAL`, else `~/.pulumi-sessions/tunnels`. */
export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_SESSIONS_TUNNEL_JOURNAL || path.join(os.homedir(), ".pulumi-sessions", "tunnels");
}

const fileOf = (dir: string, sessionId: string) =>
  path.join(dir, `${sessionId.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`);

/** True while `pid` is a running process. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class TunnelJournal {
  constructor(readonly dir: string = journalDir()) {}

  /** Records a started session (before it is used, so a crash at any later point leaves a trace). */
  add(record: JournalRecord): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = fileOf(this.dir, record.sessionId);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  remove(sessionId: string): void {
    fs.rmSync(fileOf(this.dir, sessionId), { force: true });
  }

  /** Sessions of `urn` whose owning process is gone: what a crash left behind. */
  orphans(urn: string): JournalRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const found: JournalRecord[] = [];
    for (const name of names) {
      try {
        const record = JSON.parse(fs.readFileSync(path.join(this.dir, name), "utf8")) as JournalRecord;
        if (record.urn === urn && record.pid !== process.pid && !processAlive(record.pid)) found.push(record);
      } catch {
        // Half-written by a crash: nothing to end can be read from it.
        fs.rmSync(path.join(this.dir, name), { force: true });
      }
    }
    return found;
  }
}
