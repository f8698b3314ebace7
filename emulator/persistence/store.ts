/**
 * What keeps the services' records across restarts: with `--state-dir`, every part (the
 * inventory changes, ECS sessions, SSM sessions, DAS tasks) is serialized into one
 * `<stateDir>/state.json`, written atomically (temp file + rename, mode 0600) shortly after a
 * change (debounced) and once more at stop, and read back at start.
 *
 * The wire protocols know nothing of it: parts are the services' own records, each part
 * validating what it reads back (a file this local cloud cannot read fails the start).
 */
import { z } from "zod";
import { readPrivateFile, StateDirError, writePrivateFileAtomic } from "../security/stateDir";

/** The file's name inside the state dir. */
export const STATE_FILE = "state.json";

/** Bumped when a part's format changes in a way older files cannot be read as. */
const FORMAT_VERSION = 1;

const envelopeSchema = z.object({
  version: z.literal(FORMAT_VERSION),
  savedAt: z.string(),
  parts: z.record(z.string(), z.unknown()),
});

/** A Date as parts save it (ISO 8601) and read it back. */
export const savedDate = z.iso.datetime().transform((s) => new Date(s));

/** One piece of state: what to write, and how to take back what was written. */
export interface PersistentPart {
  save(): unknown;
  /** Throws (a ZodError or any Error) when `saved` is not what `save()` writes. */
  restore(saved: unknown): void;
}

export class StateStore {
  private readonly parts = new Map<string, PersistentPart>();
  private timer: NodeJS.Timeout | undefined;
  /** Saves happen only between `restore()` and `close()`: never over a file not yet read. */
  private armed = false;

  constructor(
    readonly file: string,
    private readonly debounceMs = 100,
  ) {}

  /** Parts are restored in the order they are added. */
  add(name: string, part: PersistentPart): void {
    this.parts.set(name, part);
  }

  /** The saved parts, or undefined when there is no file yet; refuses a file it cannot read. */
  read(): Record<string, unknown> | undefined {
    const text = readPrivateFile(this.file);
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.unreadable("it is not JSON");
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) throw this.unreadable(`it is not format version ${FORMAT_VERSION}`);
    return envelope.data.parts;
  }

  /** Hands each part what was saved for it (from `read()`), then starts saving changes. */
  restore(saved: Record<string, unknown> | undefined): void {
    for (const [name, part] of this.parts) {
      if (saved?.[name] === undefined) continue;
      try {
        part.restore(saved[name]);
      } catch (err) {
        const why = err instanceof z.ZodError ? z.prettifyError(err) : String(err);
        throw this.unreadable(`its "${name}" part does not read back (${why})`);
      }
    }
    this.armed = true;
  }

  /** Something changed: save soon (changes that come together are written once). */
  changed(): void {
    if (!this.armed || this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
    this.timer.unref();
  }

  /** Writes every part now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.armed) return;
    const parts: Record<string, unknown> = {};
    for (const [name, part] of this.parts) parts[name] = part.save();
    const envelope = { version: FORMAT_VERSION, savedAt: new Date().toISOString(), parts };
    writePrivateFileAtomic(this.file, `${JSON.stringify(envelope)}\n`);
  }

  /** The last write; nothing is written after it. */
  close(): void {
    this.flush();
    this.armed = false;
  }

  private unreadable(why: string): StateDirError {
    return new StateDirError(
      `${this.file} cannot be read back: ${why}. Move it away to start with an empty local cloud.`,
    );
  }
}
