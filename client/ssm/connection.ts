/**
 * One WebSocket connection of an SSM data channel: connect to the StreamUrl, send OpenDataChannel
 * with the token, ping, read the refusal of an upgrade, watch that the far end still answers.
 * The session's state (sequence numbers, resends, the handshake) lives in the data channel, which
 * may use several of these one after the other (ResumeSession).
 */
import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { WebSocket, type RawData } from "ws";
import { socketOptions, watchLiveness, type Liveness } from "../liveness";
import type { SessionTimeouts } from "../options";
import { SsmSessionError } from "./errors";

/**
 * The largest WebSocket message read: stream messages are 120 + 1024 bytes, and the JSON payloads
 * (handshake, channel_closed) a few kilobytes at most.
 */
export const MAX_FRAME_BYTES = 64 * 1024;
/** An error body of a refused upgrade is read up to this much. */
const REFUSAL_BODY_BYTES = 4096;
export const CLIENT_VERSION = "1.3.0.0";

export interface ConnectionEvents {
  /** Upgraded; OpenDataChannel is sent. */
  onOpen(): void;
  onMessage(data: RawData): void;
  /** Anything came from the far end (a message or a pong): the connection carries. */
  onHeard(): void;
  /** The upgrade was refused, a socket error, or the far end went silent (then the socket is cut). */
  onError(err: Error): void;
  /** The connection is gone; called once, last. */
  onClose(code: number, reason: string): void;
}

export class SsmConnection {
  private readonly ws: WebSocket;
  private liveness?: Liveness;
  private heard = false;
  /** The upgraded connection's socket, corked while a tick's messages are written. */
  private socket?: Socket;
  private corked = false;

  constructor(
    streamUrl: string,
    tokenValue: string,
    private readonly timeouts: SessionTimeouts,
    private readonly events: ConnectionEvents,
  ) {
    const ws = new WebSocket(streamUrl, socketOptions(MAX_FRAME_BYTES, timeouts));
    this.ws = ws;
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString("utf8");
        if (body.length >= REFUSAL_BODY_BYTES) res.destroy();
      });
      res.on("close", () => {
        events.onError(
          new SsmSessionError(
            "ConnectionRefused",
            `HTTP ${res.statusCode ?? 0}: ${body.slice(0, REFUSAL_BODY_BYTES).trim()}`,
          ),
        );
        ws.terminate();
      });
    });
    ws.once("upgrade", (res) => (this.socket = res.socket));
    ws.once("open", () => {
      const open = {
        MessageSchemaVersion: "1.0",
        RequestId: randomUUID(),
        TokenValue: tokenValue,
        ClientId: randomUUID(),
        ClientVersion: CLIENT_VERSION,
      };
      ws.send(JSON.stringify(open));
      // The plugin pings as soon as it is open (then every 5 minutes); the pong says the token was taken.
      ws.ping();
      this.liveness = watchLiveness(ws, timeouts, (err) => this.cut(err));
      events.onOpen();
    });
    ws.on("error", (err) => events.onError(err));
    ws.on("message", (data: RawData) => {
      this.hear();
      events.onMessage(data);
    });
    ws.on("pong", () => this.hear());
    ws.on("close", (code, reason) => {
      this.liveness?.stop();
      events.onClose(code, reason.toString());
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get connecting(): boolean {
    return this.ws.readyState === WebSocket.CONNECTING;
  }

  /** Closing or closed: nothing more goes out. */
  get ending(): boolean {
    return this.ws.readyState > WebSocket.OPEN;
  }

  send(frame: Buffer): void {
    if (!this.open) return;
    this.holdTick();
    this.ws.send(frame);
  }

  /**
   * Messages sent in one tick leave in one system call: a forward sends a read of its socket as
   * dozens of messages at once, and a write each (and a wake-up of the far end each) cost more
   * than the rest of the path. The bytes and their order stay the same.
   */
  private holdTick(): void {
    if (this.corked || !this.socket) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket?.uncork();
    });
  }

  /** Stops reading (back-pressure): silence is then the reader's doing, not the far end's. */
  pause(): void {
    this.ws.pause();
    this.liveness?.pause();
  }

  resume(): void {
    this.ws.resume();
    this.liveness?.resume();
  }

  close(code: number, reason: string): void {
    if (!this.ending) this.ws.close(code, reason);
  }

  /** Drops the connection at once: a far end that went silent would not answer a close. */
  terminate(): void {
    this.liveness?.stop();
    this.ws.terminate();
  }

  /** Reports why, then cuts the connection. */
  cut(err: Error): void {
    this.events.onError(err);
    this.terminate();
  }

  private hear(): void {
    if (this.heard) return;
    this.heard = true;
    this.events.onHeard();
  }
}
