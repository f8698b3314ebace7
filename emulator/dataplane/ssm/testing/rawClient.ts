/**
 * A hand-written data-channel client for tests that need to misbehave: frames are built and read
 * from the published layout here (not with the local cloud's codec), so a codec mistake cannot
 * hide on both sides.
 */
import { createHash, randomBytes } from "node:crypto";
import { WebSocket } from "ws";

export interface RawMessage {
  type: string;
  sequence: number;
  payloadType: number;
  payload: Buffer;
  /** The message id as its 16 wire bytes. */
  id: Buffer;
}

/** One message in the wire layout: 116-byte header length, type, schema, date, seq, flags, id, digest, payload. */
export function rawFrame(type: string, sequence: number, payloadType: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(120);
  header.writeUInt32BE(116, 0);
  header.write(type.padEnd(32, " "), 4, "ascii");
  header.writeUInt32BE(1, 36);
  header.writeBigUInt64BE(BigInt(Date.now()), 40);
  header.writeBigInt64BE(BigInt(sequence), 48);
  randomBytes(16).copy(header, 64);
  createHash("sha256").update(payload).digest().copy(header, 80);
  header.writeUInt32BE(payloadType, 112);
  header.writeUInt32BE(payload.length, 116);
  return Buffer.concat([header, payload]);
}

function parse(frame: Buffer): RawMessage {
  return {
    type: frame.toString("ascii", 4, 36).trim(),
    sequence: Number(frame.readBigInt64BE(48)),
    payloadType: frame.readUInt32BE(112),
    payload: frame.subarray(120),
    id: frame.subarray(64, 80),
  };
}

export class RawSsmClient {
  readonly received: RawMessage[] = [];
  /** Acknowledge every output_stream_data message as it arrives. */
  autoAck = true;
  private nextSequence = 0;
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on("message", (data: Buffer) => {
      const m = parse(data);
      this.received.push(m);
      if (this.autoAck && m.type === "output_stream_data") this.ack(m);
      for (const w of [...this.waiters]) w();
    });
    ws.on("error", () => undefined);
  }

  /** Connects and sends OpenDataChannel with `token`. */
  static async open(url: string, token: string): Promise<RawSsmClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.send(JSON.stringify({ MessageSchemaVersion: "1.0", RequestId: "r", TokenValue: token }));
    return new RawSsmClient(ws);
  }

  /** Resolves with the first received message that matches (already received ones count). */
  next(match: (m: RawMessage) => boolean, timeoutMs = 10_000): Promise<RawMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching message; got ${this.received.map((m) => m.type).join(", ")}`));
      }, timeoutMs);
      const check = () => {
        const m = this.received.find(match);
        if (!m) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(m);
      };
      this.waiters.add(check);
      check();
    });
  }

  ack(m: RawMessage): void {
    const id = Buffer.concat([m.id.subarray(8), m.id.subarray(0, 8)]).toString("hex");
    const content = {
      AcknowledgedMessageType: m.type,
      AcknowledgedMessageId: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
      AcknowledgedMessageSequenceNumber: m.sequence,
      IsSequentialMessage: true,
    };
    this.send(rawFrame("acknowledge", 0, 0, Buffer.from(JSON.stringify(content))));
  }

  send(frame: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Sends stream data with the next sequence number (or `sequence`). */
  input(payloadType: number, payload: Buffer, sequence = this.nextSequence++): void {
    this.send(rawFrame("input_stream_data", sequence, payloadType, payload));
  }

  /** Answers the HandshakeRequest (accepting the session type) and waits for HandshakeComplete. */
  async handshake(response: Buffer = acceptAll()): Promise<void> {
    await this.next((m) => m.payloadType === 5);
    this.input(6, response);
    await this.next((m) => m.payloadType === 7);
  }

  /** The text of everything received as output (payload type 1) so far. */
  output(): string {
    return Buffer.concat(this.received.filter((m) => m.payloadType === 1).map((m) => m.payload)).toString();
  }

  /** The channel_closed message's Output, once it arrives. */
  async channelClosed(): Promise<string> {
    const m = await this.next((x) => x.type === "channel_closed");
    return (JSON.parse(m.payload.toString()) as { Output: string }).Output;
  }
}

function acceptAll(): Buffer {
  return Buffer.from(
    JSON.stringify({ ProcessedClientActions: [{ ActionType: "SessionType", ActionStatus: 1 }] }),
  );
}
