/**
 * A script's output as the engine's log and error messages show it: secret values masked, the
 * live lines of the streams `logging` picks, and the tail a failure quotes.
 */

/** What stands for a masked value. */
export const MASK = "[secret]";
/** Values shorter than this are not masked: masking `1` or `on` everywhere would garble the output. */
const MIN_MASKED_LENGTH = 4;
/** The lines of output a failure quotes. */
export const TAIL_LINES = 20;
/** At most this many characters of them (a script may print one huge line). */
const TAIL_CHARS = 4_000;

/** Replaces every known secret value in text. */
export type Masker = (text: string) => string;

/**
 * A masker for the values a run is given: every environment value and the stdin text, each as a
 * whole and line by line (a script may echo one line of its input).
 */
export function maskerFor(values: readonly string[]): Masker {
  const secrets = new Set<string>();
  for (const value of values) {
    for (const part of [value, ...value.split(/\r?\n/)]) {
      if (part.length >= MIN_MASKED_LENGTH) secrets.add(part);
    }
  }
  // Longest first, so a value containing another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, secret) => out.split(secret).join(MASK), text);
}

/** The last lines of an output, masked, for a failure message. */
export function outputTail(output: string, mask: Masker): string {
  const lines = output.replace(/\s+$/, "").split(/\r?\n/);
  const tail = mask(lines.slice(-TAIL_LINES).join("\n"));
  return tail.length > TAIL_CHARS ? `...${tail.slice(-TAIL_CHARS)}` : tail;
}

/** Which streams a `logging` mode shows. */
export function loggedStreams(logging: string | undefined): ReadonlySet<"stdout" | "stderr"> {
  switch (logging) {
    case "none":
      return new Set();
    case "stdout":
      return new Set(["stdout"]);
    case "stderr":
      return new Set(["stderr"]);
    default:
      return new Set(["stdout", "stderr"]);
  }
}

/**
 * Streams a run's output to a line sink as whole lines, prefixed and masked: a secret split
 * across two chunks is still masked, since only whole lines are masked and written.
 */
export class LiveLog {
  private readonly partial = { stdout: "", stderr: "" };
  private readonly decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(
    private readonly streams: ReadonlySet<"stdout" | "stderr">,
    private readonly prefix: string,
    private readonly mask: Masker,
    private readonly write: (line: string) => void,
  ) {}

  /** Takes a chunk of a stream (the `onOutput` of a run). */
  chunk(stream: "stdout" | "stderr", bytes: Buffer): void {
    if (!this.streams.has(stream)) return;
    const text = this.partial[stream] + this.decoders[stream].decode(bytes, { stream: true });
    const lines = text.split(/\r?\n/);
    this.partial[stream] = lines.pop() ?? "";
    for (const line of lines) this.emit(stream, line);
  }

  /** Writes what is left of unfinished lines. */
  flush(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = this.partial[stream] + this.decoders[stream].decode();
      this.partial[stream] = "";
      if (rest) this.emit(stream, rest);
    }
  }

  private emit(stream: "stdout" | "stderr", line: string): void {
    this.write(`${this.prefix}${stream === "stderr" ? " (stderr)" : ""}: ${this.mask(line)}\n`);
  }
}
