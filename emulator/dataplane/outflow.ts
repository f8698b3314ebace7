/**
 * Sending on a WebSocket with back-pressure: when the bytes the peer has not taken yet
 * (`bufferedAmount`: the socket's queue and ws's own) pass a high-water mark, whoever produces
 * them is told to pause; once they fall to the low-water mark, to resume. The send callbacks
 * (run as the socket hands the frames to the kernel) are where the level is looked at again.
 */
import { WebSocket } from "ws";

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

  constructor(
    private readonly ws: WebSocket,
    private readonly marks: WaterMarks,
    private readonly events: OutflowEvents,
  ) {}

  /** True while the peer is behind: producers should hold what they have not read yet. */
  get congested(): boolean {
    return this.full;
  }

  send(frame: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame, { binary: true }, () => this.check());
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
