/**
 * Files the local cloud keeps in `--state-dir` across restarts (the admin token, the generated
 * key, the services' state): private to the user who runs it, like `~/.ssh`. The folder is
 * created 0700, files 0600; the secrets are never overwritten, the state file is replaced
 * atomically. A file that other users may read is refused, not used.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";

/** The state folder cannot be used as it is; the message says what to do. */
export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateDirError";
  }
}

/** Creates `dir` (0700) when missing; refuses something that is not a folder. */
export function openStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!statSync(dir).isDirectory()) throw new StateDirError(`state dir ${dir} is not a folder.`);
}

/** The text of `file`, first written from `create()` (mode 0600) when missing. */
export function readOrCreatePrivateFile(file: string, create: () => string): string {
  if (!existsSync(file)) {
    // `wx`: if another start created it meanwhile, fail rather than replace its secret.
    writeFileSync(file, create(), { mode: 0o600, flag: "wx" });
  }
  return readPrivateFile(file) as string;
}

/** The text of `file`, or undefined when it does not exist; refused when others may read it. */
export function readPrivateFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const stat = statSync(file);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8);
    throw new StateDirError(`${file} may be read by other users (mode ${mode}): run chmod 600 ${file}`);
  }
  if (process.getuid && stat.uid !== process.getuid()) {
    throw new StateDirError(`${file} belongs to another user: remove it, or use a state dir of your own.`);
  }
  return readFileSync(file, "utf8");
}

/**
 * Replaces `file` with `text` (mode 0600) so that a crash leaves the old or the new content,
 * never half of one: written and flushed to a temporary file beside it, then renamed over it.
 */
export function writePrivateFileAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, "w", 0o600);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    // A full disk must not also keep half a copy of the state beside the file.
    rmSync(temp, { force: true });
    throw err;
  }
}
