/**
 * What keeps the services' records across restarts: with `--state-dir`, every part (the
 * inventory changes, ECS sessions, SSM sessions, DAS tasks) is serialized into one
 * `<stateDir>/state.json`, written atomically (temp file + rename, mode 0600) shortly after a
 * change (the changes of one debounce period make one write) and once more at stop, and read
 * back at start. A write that fails (a full disk, a folder made read-only) is reported, one line
 * and `status()`, never thrown: the sessions go on, and the next change writes again.
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

export interface StateStoreOptions {
  /** How long changes gather before one write (default 100 ms). */
  debounceMs?: number;
  /** Told, in one line without the state's content, of each write that failed. */
  onWriteError?(line: string): void;
  /** Writes the file; the atomic private write unless a test injects a failing one. */
  write?(file: string, text: string): void;
}

/** How the last writes went, for `GET /_admin/health`. */
export interface StateStatus {
  file: string;
  /** ISO time of the last successful write. */
  savedAt?: string;
  /** The last write's failure, until a write succeeds again. */
  lastError?: { at: string; code: string; message: string };
}

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
  private readonly debounceMs: number;
  private readonly write: (file: string, text: string) => void;
  private readonly onWriteError: (line: string) => void;
  private readonly state: StateStatus;

  constructor(
    readonly file: string,
    options: StateStoreOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 100;
    this.write = options.write ?? writePrivateFileAtomic;
    this.onWriteError = options.onWriteError ?? ((line) => console.error(line));
    this.state = { file };
  }

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

  /** Writes every part now; a failure is reported and kept in `status()`, not thrown. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.armed) return;
    const savedAt = new Date().toISOString();
    try {
      const parts: Record<string, unknown> = {};
      for (const [name, part] of this.parts) parts[name] = part.save();
      this.write(this.file, `${JSON.stringify({ version: FORMAT_VERSION, savedAt, parts })}\n`);
      this.state.savedAt = savedAt;
      delete this.state.lastError;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.name : "Error");
      const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
      this.state.lastError = { at: savedAt, code, message };
      this.onWriteError(
        `[local-cloud] could not save ${this.file} (${code}): the sessions go on; the next change tries again.`,
      );
    }
  }

  /** The last write's time and, while writes fail, why. */
  status(): StateStatus {
    return { ...this.state };
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
