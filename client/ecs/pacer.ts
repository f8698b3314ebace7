/**
 * Paces a forwarded connection's bytes into its channel as `ali-instance-cli` does: messages of at
 * most 2048 bytes, at the rate the far end announced (status 7), or at the official client's
 * default of 200 kbit/s until it does. The official client sends one message per interval; here at
 * most 20 ms of the rate (never less than two messages) go out back to back, so a long transfer
 * needs no timer per message and never runs ahead of what the official client would send.
 */
import { MAX_INPUT_FRAME } from "./channel";

/** Where paced bytes go: a channel, once it is open. */
export interface PacedChannel {
  /** Bytes per second the far end announced, if it did. */
  sendRate(): number | undefined;
  /** False: more is in flight than the high-water mark; `drained` follows. */
  write(piece: Buffer): boolean;
}

/** `ali-instance-cli`'s `defaultSendSpeed` (200 kbit/s) in bytes per second. */
export const DEFAULT_SEND_RATE = (200 * 1024) / 8;
const BURST_SECONDS = 0.02;

export class InputPacer {
  private pending?: Buffer;
  private tokens = 2 * MAX_INPUT_FRAME;
  private filledAt = performance.now();
  private timer?: NodeJS.Timeout;
  /** The channel has more in flight than its high-water mark: wait for `drained`. */
  private blocked = false;

  constructor(
    private readonly channel: PacedChannel,
    /** Everything taken has been handed to the channel: the source may be read again. */
    private readonly onIdle: () => void,
  ) {}

  /** True while taken bytes wait for the rate or the channel: keep the source paused. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Takes the next chunk; call only while not `busy`. */
  push(chunk: Buffer): void {
    this.pending = chunk;
    this.pump();
  }

  /** The channel's `onDrain`. */
  drained(): void {
    this.blocked = false;
    this.pump();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private pump(): void {
    if (this.timer) return;
    while (this.pending && !this.blocked) {
      const rate = this.channel.sendRate() ?? DEFAULT_SEND_RATE;
      const now = performance.now();
      const burst = Math.max(2 * MAX_INPUT_FRAME, rate * BURST_SECONDS);
      this.tokens = Math.min(burst, this.tokens + ((now - this.filledAt) * rate) / 1000);
      this.filledAt = now;
      const size = Math.min(this.pending.length, MAX_INPUT_FRAME);
      if (this.tokens < size) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.pump();
          },
          Math.ceil(((size - this.tokens) * 1000) / rate),
        );
        return;
      }
      this.tokens -= size;
      const piece = this.pending.subarray(0, size);
      this.pending = size < this.pending.length ? this.pending.subarray(size) : undefined;
      if (!this.channel.write(piece)) this.blocked = true;
    }
    if (!this.pending) this.onIdle();
  }
}
