/**
 * Reads what the far end's terminal sends during a script run: everything up to the ready
 * marker is dropped; then the script's output, passed on as it comes (holding back only what
 * could be the start of the trailer); then, when stderr is kept apart, its base64; then the exit
 * code. Markers carry the run's nonce, so the script's own output cannot end the run.
 */
import { READY } from "./bootstrap";

/** Output before the ready marker kept at most: a far end that never gets ready fails instead. */
export const PREAMBLE_MAX_BYTES = 64 * 1024;

export interface DemuxEvents {
  onReady(): void;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  onExit(code: number): void;
  onProtocolError(reason: string): void;
}

type Phase = "preamble" | "stdout" | "stderr" | "done";

export class OutputDemux {
  private phase: Phase = "preamble";
  private pending: Buffer = Buffer.alloc(0);
  private readonly marker: Buffer;
  private readonly ready = Buffer.from(READY, "latin1");

  constructor(
    nonce: string,
    private readonly events: DemuxEvents,
  ) {
    this.marker = Buffer.from(`\x1e${nonce}:`, "latin1");
  }

  get finished(): boolean {
    return this.phase === "done";
  }

  /** The bytes before the ready marker, when the run never got that far (an error message). */
  get preamble(): string {
    return this.phase === "preamble" ? this.pending.toString("utf8") : "";
  }

  feed(chunk: Buffer): void {
    if (this.phase === "done") return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.step()) {
      // Each step consumes a marker or a part; it says false when it needs more bytes.
    }
  }

  /** Handles what `pending` allows; false when it needs more bytes. */
  private step(): boolean {
    if (this.phase === "preamble") {
      const at = this.pending.indexOf(this.ready);
      if (at < 0) {
        if (this.pending.length > PREAMBLE_MAX_BYTES)
          this.fail("no ready marker in the first 64 KiB of output");
        return false;
      }
      this.pending = this.pending.subarray(at + this.ready.length);
      this.phase = "stdout";
      this.events.onReady();
      return true;
    }
    const at = this.pending.indexOf(this.marker);
    if (at < 0) {
      if (this.phase === "stdout") {
        // What could be the marker's beginning waits for the next chunk.
        const keep = partialMarker(this.pending, this.marker);
        const out = this.pending.subarray(0, this.pending.length - keep);
        this.pending = this.pending.subarray(this.pending.length - keep);
        if (out.length > 0) this.events.onStdout(out);
      }
      return false;
    }
    const end = this.pending.indexOf(0x1e, at + this.marker.length);
    if (end < 0) {
      if (this.pending.length - at > this.marker.length + 16) this.fail("a trailer that does not end");
      return false;
    }
    const before = this.pending.subarray(0, at);
    const tag = this.pending.subarray(at + this.marker.length, end).toString("latin1");
    this.pending = this.pending.subarray(end + 1);
    if (this.phase === "stdout") {
      if (before.length > 0) this.events.onStdout(before);
    } else {
      const stderr = Buffer.from(before.toString("latin1"), "base64");
      if (stderr.length > 0) this.events.onStderr(stderr);
    }
    if (tag === "e" && this.phase === "stdout") {
      this.phase = "stderr";
      return true;
    }
    if (!/^\d{1,3}$/.test(tag)) {
      this.fail(`a trailer with ${JSON.stringify(tag.slice(0, 16))} where an exit code belongs`);
      return false;
    }
    this.phase = "done";
    this.events.onExit(Number(tag));
    return false;
  }

  private fail(reason: string): void {
    this.phase = "done";
    this.events.onProtocolError(reason);
  }
}

/** The length of `data`'s longest tail that is a beginning of `marker` (0 when none is). */
function partialMarker(data: Buffer, marker: Buffer): number {
  for (let at = Math.max(0, data.length - marker.length + 1); at < data.length; at++) {
    if (data[at] === marker[0] && marker.subarray(0, data.length - at).equals(data.subarray(at)))
      return data.length - at;
  }
  return 0;
}
