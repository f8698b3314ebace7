/**
 * Setting a pseudo-terminal's size off the event loop: `stty -F <tty>` runs as a child process
 * (execFile, never execFileSync), a burst of resizes collapses into one run with the latest size,
 * and keystrokes that arrive meanwhile wait, so input typed after a resize sees the new size.
 */
import { execFile } from "node:child_process";
import { logFailure } from "./failures";

export interface TerminalSize {
  rows: number;
  cols: number;
}

/** Input held behind a resize beyond this counts as back-pressure (`write` returns false). */
const HOLD_BYTES = 64 * 1024;

export class PtySizer {
  private wanted?: TerminalSize;
  private busy = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private refused = false;

  constructor(
    /** The terminal's device, once it exists (undefined: the resize is dropped). */
    private readonly tty: () => Promise<string | undefined>,
    /** Writes to the terminal's input; false when that is full. */
    private readonly writeNow: (chunk: Buffer) => boolean,
    /** Input held here was written out after `write` returned false. */
    private readonly onDrain: () => void,
  ) {}

  resize(size: TerminalSize): void {
    this.wanted = size;
    if (!this.busy) void this.run().catch((err: unknown) => logFailure("terminal resize", err));
  }

  /** Writes at once, or after the resize under way; false when the caller should wait for a drain. */
  write(chunk: Buffer): boolean {
    if (!this.busy) return this.writeNow(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes <= HOLD_BYTES) return true;
    this.refused = true;
    return false;
  }

  private async run(): Promise<void> {
    this.busy = true;
    try {
      for (let size = this.wanted; size; size = this.wanted) {
        this.wanted = undefined;
        const tty = await this.tty();
        if (tty) await stty(tty, size);
      }
    } catch {
      // The terminal went away meanwhile: nothing left to size.
    } finally {
      this.busy = false;
      const held = this.held;
      this.held = [];
      this.heldBytes = 0;
      for (const chunk of held) this.writeNow(chunk);
      if (this.refused) {
        this.refused = false;
        this.onDrain();
      }
    }
  }
}

function stty(tty: string, size: TerminalSize): Promise<void> {
  return new Promise((done) => {
    // A failure (the terminal closed meanwhile) leaves nothing to do: the callback ignores it.
    execFile("stty", ["-F", tty, "rows", String(size.rows), "cols", String(size.cols)], () => done());
  });
}
