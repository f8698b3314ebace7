/**
 * The tunnels' journal: one file per session a tunnel may have started and not yet ended, so
 * that a session a crashed run left behind (the plugin killed, the machine gone) is ended by the
 * next run of the same tunnel.
 *
 * A record is written before the call that may create the session (`intent-<marker>.json`),
 * holding what finds that session without its id: for AWS, whose StartSession has no client
 * token, the target, the document and the `Reason`, which carries the record's marker; for
 * Alibaba Cloud, the StartTerminalSession request with its `ClientToken`, which the cloud answers
 * again with the same session. As soon as the cloud answers, the record is completed with the
 * session's id (`<sessionId>.json`, written before the intent file is removed, so a crash at any
 * point leaves one of them). A record holds no secret.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";

/** What finds an SSM session: `reason` ends with the record's marker. */
const awsIntentSchema = z.object({ target: z.string(), documentName: z.string(), reason: z.string() });

/** The StartTerminalSession request as sent (the parameters a tunnel sets), token included. */
const alicloudIntentSchema = z.object({
  instanceIds: z.array(z.string()).min(1),
  portNumber: z.number().int(),
  targetServer: z.string().optional(),
  connectionType: z.string().optional(),
  clientToken: z.string().min(1),
});

const common = {
  region: z.string().min(1),
  /** The tunnel (the provider resource's URN). */
  urn: z.string(),
  /** The plugin process that started it. */
  pid: z.number().int(),
  startedAt: z.string(),
  /** Known once the cloud answered. */
  sessionId: z.string().min(1).optional(),
  /**
   * Unique per start; names the record until the session's id is known. Records written before
   * intents were journaled have neither marker nor intent, and always a session id.
   */
  marker: z
    .string()
    .regex(/^[0-9a-f-]{8,64}$/)
    .optional(),
};

const journalRecordSchema = z
  .discriminatedUnion("cloud", [
    z.object({ cloud: z.literal("aws"), ...common, intent: awsIntentSchema.optional() }),
    z.object({ cloud: z.literal("alicloud"), ...common, intent: alicloudIntentSchema.optional() }),
  ])
  .refine((r) => r.sessionId !== undefined || (r.marker !== undefined && r.intent !== undefined), {
    message: "a record names its session, or what finds it",
  });

export type AwsIntent = z.infer<typeof awsIntentSchema>;
export type AlicloudIntent = z.infer<typeof alicloudIntentSchema>;
export type JournalRecord = z.infer<typeof journalRecordSchema>;

/** What a tunnel journals before a start. */
export type SessionIntent =
  | { cloud: "aws"; region: string; marker: string; intent: AwsIntent }
  | { cloud: "alicloud"; region: string; marker: string; intent: AlicloudIntent };

/** Where records live: `PULUMI_SESSIONS_TUNNEL_JOURNAL`, else `~/.pulumi-sessions/tunnels`. */
export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_SESSIONS_TUNNEL_JOURNAL || path.join(os.homedir(), ".pulumi-sessions", "tunnels");
}

const safe = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, "_");
const fileName = (record: JournalRecord) =>
  record.sessionId === undefined
    ? `intent-${safe(record.marker ?? "")}.json`
    : `${safe(record.sessionId)}.json`;

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

  /** Records a start, before the call that may create the session. */
  begin(urn: string, intent: SessionIntent): JournalRecord {
    const record: JournalRecord = { ...intent, urn, pid: process.pid, startedAt: new Date().toISOString() };
    this.write(record);
    return record;
  }

  /** Completes a record with the session's id, as soon as the cloud gave it. */
  complete(record: JournalRecord, sessionId: string): void {
    this.write({ ...record, sessionId });
    if (record.sessionId === undefined) this.remove(record);
  }

  remove(record: JournalRecord): void {
    fs.rmSync(path.join(this.dir, fileName(record)), { force: true });
  }

  /** Records of `urn` whose process is gone: what a crash left behind, complete or not. */
  orphans(urn: string): JournalRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const found: JournalRecord[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      let record: JournalRecord;
      try {
        record = journalRecordSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
      } catch {
        // Not a record this version can act on: nothing to end can be read from it.
        fs.rmSync(file, { force: true });
        continue;
      }
      if (record.urn === urn && record.pid !== process.pid && !processAlive(record.pid)) found.push(record);
    }
    return found;
  }

  private write(record: JournalRecord): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, fileName(record));
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
}
