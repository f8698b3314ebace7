/**
 * Sending on a WebSocket with back-pressure: when the bytes the peer has not taken yet
 * (`bufferedAmount`: the socket's queue and ws's own) pass a high-water mark, whoever produces
 * them is told to pause; once they fall to the low-water mark, to resume. The send callbacks
 * (run as the socket hands the frames to the kernel) are where the level is looked at again.
 *
 * Every message stays its own WebSocket message; what one tick sends (the acknowledgements of
 * everything one read brought, a burst of output) leaves in one write to the kernel: the socket
 * is corked at the first send of a tick and uncorked after it.
 */
import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import { batchedPerTick } from "./tickWrites";

export interface WaterMarks {
  /** Bytes queued towards the peer above which producers pause. */
  high: number;
  /** Bytes queued at or below which they resume. */
  low: number;
}

/** 1 MiB: a few hundred of the protocols' frames, enough to keep a loopback link busy. */
export const DEFAULT_SEND_MARKS: WaterMarks = { high: 1024 * 1024, low: 256 * 1024 };

export interface OutflowEvents {
  onFull(): void;
  onDrained(): void;
}

export class WebSocketOutflow {
  private full = false;
  /** Corks the connection under the WebSocket for the tick (ws offers no cork of its own). */
  private readonly batch: () => void;
  private readonly sent = () => this.check();

  /** `socket` is the upgraded connection `ws` runs on, as the upgrade handed it over. */
  constructor(
    private readonly ws: WebSocket,
    socket: Duplex,
    private readonly marks: WaterMarks,
    private readonly events: OutflowEvents,
  ) {
    this.batch = batchedPerTick(socket);
  }

  /** True while the peer is behind: producers should hold what they have not read yet. */
  get congested(): boolean {
    return this.full;
  }

  send(frame: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.batch();
    // Only a queue past the low mark can be full, or drain from full: below it no callback is needed.
    const watched = this.full || this.ws.bufferedAmount > this.marks.low;
    this.ws.send(frame, { binary: true }, watched ? this.sent : undefined);
    if (!this.full && this.ws.bufferedAmount > this.marks.high) {
      this.full = true;
      this.events.onFull();
    }
  }

  private check(): void {
    if (!this.full || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.marks.low) return;
    this.full = false;
    this.events.onDrained();
  }
}
