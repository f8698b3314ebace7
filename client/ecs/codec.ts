/**
 * Our client's codec for Alibaba Cloud Session Manager messages (the frames `ali-instance-cli`
 * and the Cloud Assistant gateway exchange). Written from the protocol's layout, apart from the
 * local cloud's own codec, so one mistake cannot hide in both.
 *
 * Layout, all little-endian:
 *   u32 message type | 4 ASCII bytes schema version "1.01" | u8 session-id length + id |
 *   u8 instance-id length + id | u64 created (ms since the epoch, never 0) | i64 sequence |
 *   u32 payload length | payload
 * We send both ids empty (a 30-byte header), as the official client does.
 */

export const EcsMessageType = {
  InputStream: 0,
  OutputStream: 1,
  SetSize: 2,
  CloseChannel: 3,
  Status: 5,
} as const;

/** The first payload byte of a Status message. */
export const EcsStatusCode = {
  ConnectFailed: 2,
  Closed: 5,
  SendRate: 7,
} as const;

export interface EcsMessage {
  type: number;
  sequence: bigint;
  createdMs: bigint;
  payload: Buffer;
}

/** Bytes that are not a Session Manager message. */
export class EcsCodecError extends Error {
  override readonly name = "EcsCodecError";
}

const VERSION = [0x31, 0x2e, 0x30, 0x31]; // "1.01"
const FIXED_HEADER = 30;

export function serializeMessage(
  type: number,
  sequence: bigint,
  payload: Uint8Array,
  createdMs: number = Date.now(),
): Buffer {
  // Every byte is written below, so the buffer needs no zero-filling: one allocation and one
  // copy of the payload per message (the WebSocket layer masks it into its own buffer).
  const bytes = Buffer.allocUnsafe(FIXED_HEADER + payload.byteLength);
  bytes.writeUInt32LE(type, 0);
  bytes.set(VERSION, 4);
  bytes[8] = 0; // session-id length
  bytes[9] = 0; // instance-id length
  bytes.writeBigUInt64LE(BigInt(createdMs), 10);
  bytes.writeBigInt64LE(sequence, 18);
  bytes.writeUInt32LE(payload.byteLength, 26);
  bytes.set(payload, FIXED_HEADER);
  return bytes;
}

export function parseMessage(data: Uint8Array): EcsMessage {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < FIXED_HEADER) {
    throw new EcsCodecError(`a message has at least ${FIXED_HEADER} bytes; this one has ${data.byteLength}`);
  }
  const idBytes = data[8] + (data[9 + data[8]] ?? 0);
  const fields = 10 + idBytes;
  if (fields + 20 > data.byteLength)
    throw new EcsCodecError("the id lengths run past the end of the message");
  const createdMs = view.getBigUint64(fields, true);
  if (createdMs === 0n) throw new EcsCodecError("the message has no created date");
  const sequence = view.getBigInt64(fields + 8, true);
  const length = view.getUint32(fields + 16, true);
  const start = fields + 20;
  if (start + length !== data.byteLength) {
    throw new EcsCodecError(
      `the payload length (${length}) does not match the ${data.byteLength - start} bytes sent`,
    );
  }
  return {
    type: view.getUint32(0, true),
    sequence,
    createdMs,
    payload: Buffer.from(data.buffer, data.byteOffset + start, length),
  };
}

export type EcsStatus =
  { code: typeof EcsStatusCode.SendRate; bitsPerSecond: number } | { code: number; reason: string };

/** Reads a Status payload: a code byte, then a reason (or, for the send rate, a big-endian integer). */
export function parseStatus(payload: Uint8Array): EcsStatus {
  if (payload.byteLength === 0) throw new EcsCodecError("a status message has no code");
  const code = payload[0];
  const rest = payload.subarray(1);
  if (code === EcsStatusCode.SendRate) {
    if (rest.byteLength < 1 || rest.byteLength > 4) throw new EcsCodecError("a send rate has 1 to 4 bytes");
    let bitsPerSecond = 0;
    for (const b of rest) bitsPerSecond = bitsPerSecond * 256 + b;
    return { code, bitsPerSecond };
  }
  return { code, reason: Buffer.from(rest).toString("utf8") };
}

/** A SetSize payload: int16 rows, then int16 columns. */
export function sizePayload(rows: number, cols: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt16LE(rows, 0);
  out.writeInt16LE(cols, 2);
  return out;
}

/** What the official client sends as CloseChannel when its local side ends. */
export const CLOSE_PAYLOAD = Buffer.from("1", "ascii");
