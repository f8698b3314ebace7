/**
 * The local cloud's codec for Alibaba Cloud Session Manager data-channel frames, the binary
 * messages `ali-instance-cli` exchanges over a session's WebSocketUrl. Little-endian:
 *
 *   offset     size  field
 *   0          u32   message type (MESSAGE_TYPES)
 *   4          4 B   schema version, ASCII "1.01"
 *   8          u8    session-id length n, then n bytes
 *   9+n        u8    instance-id length m, then m bytes
 *   10+n+m     u64   created date, ms since the epoch (never 0)
 *   18+n+m     i64   sequence number (per direction, from 0)
 *   26+n+m     u32   payload length
 *   30+n+m           payload
 *
 * The official client writes n = m = 0 (a 30-byte header) and reads the payload length at the
 * fixed offset 26 whatever n and m say, so frames the local cloud writes carry no ids either.
 * Frames it reads may carry ids; they are decoded and ignored.
 */

export const MESSAGE_TYPES = {
  input: 0,
  output: 1,
  setSize: 2,
  close: 3,
  status: 5,
} as const;

/** First payload byte of a status message. */
export const STATUS_CODES = {
  connectFailed: 2,
  closed: 5,
  sendRate: 7,
} as const;

export const SCHEMA_VERSION = "1.01";
/** Header size with both ids empty. */
export const HEADER_BYTES = 30;

export interface Frame {
  type: number;
  sequence: bigint;
  payload: Buffer;
  /** Created date, ms since the epoch. */
  created: bigint;
  sessionId: string;
  instanceId: string;
}

/** A frame the local cloud cannot accept; `message` says which rule it broke. */
export class FrameFormatError extends Error {}

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(MESSAGE_TYPES));

export function encodeFrame(type: number, sequence: bigint, payload: Buffer, now = Date.now()): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + payload.length);
  out.writeUInt32LE(type, 0);
  out.write(SCHEMA_VERSION, 4, "ascii");
  // Bytes 8 and 9 (both id lengths) stay 0.
  out.writeBigUInt64LE(BigInt(now), 10);
  out.writeBigInt64LE(sequence, 18);
  out.writeUInt32LE(payload.length, 26);
  payload.copy(out, HEADER_BYTES);
  return out;
}

export function decodeFrame(data: Buffer): Frame {
  if (data.length < HEADER_BYTES) {
    throw new FrameFormatError(`a frame needs at least ${HEADER_BYTES} bytes; got ${data.length}`);
  }
  const type = data.readUInt32LE(0);
  if (!KNOWN_TYPES.has(type)) throw new FrameFormatError(`unknown message type ${type}`);
  const version = data.toString("latin1", 4, 8);
  if (version !== SCHEMA_VERSION) {
    throw new FrameFormatError(`schema version must be "${SCHEMA_VERSION}"; got ${JSON.stringify(version)}`);
  }
  let at = 8;
  const sessionLength = data[at++];
  const sessionEnd = at + sessionLength;
  const instanceLength = data[sessionEnd];
  const headerEnd = HEADER_BYTES + sessionLength + (instanceLength ?? 0);
  if (instanceLength === undefined || data.length < headerEnd) {
    throw new FrameFormatError(`the id lengths (${sessionLength}, ${instanceLength}) overrun the frame`);
  }
  const sessionId = data.toString("utf8", at, sessionEnd);
  at = sessionEnd + 1;
  const instanceId = data.toString("utf8", at, at + instanceLength);
  at += instanceLength;
  const created = data.readBigUInt64LE(at);
  if (created === 0n) throw new FrameFormatError("the created date is 0");
  const sequence = data.readBigInt64LE(at + 8);
  const declared = data.readUInt32LE(at + 16);
  const payload = data.subarray(headerEnd);
  if (declared !== payload.length) {
    throw new FrameFormatError(`payload length says ${declared} bytes; the frame carries ${payload.length}`);
  }
  return { type, sequence, payload, created, sessionId, instanceId };
}

/** A status payload: the code byte, then the reason text (or, for the send rate, a u32 BE). */
export function statusPayload(code: number, reason = ""): Buffer {
  return Buffer.concat([Buffer.from([code]), Buffer.from(reason, "utf8")]);
}

/** Status 7: the rate the client may send at, in bits per second, big-endian (as the client reads it). */
export function sendRatePayload(bytesPerSecond: number): Buffer {
  const out = Buffer.alloc(5);
  out[0] = STATUS_CODES.sendRate;
  out.writeUInt32BE(Math.min(0xffffffff, Math.round(bytesPerSecond * 8)), 1);
  return out;
}

export interface TerminalSize {
  rows: number;
  cols: number;
}

/**
 * A set-size payload: the client's 4 bytes (int16 LE rows, then cols), or the agent-side JSON
 * `{"cols":N,"rows":N}` other clients send. A zero or negative size (a client that could not
 * report its own terminal's) is nothing to apply: undefined. Anything else is malformed.
 */
export function decodeSetSize(payload: Buffer): TerminalSize | undefined {
  let rows: unknown;
  let cols: unknown;
  if (payload.length === 4) {
    rows = payload.readInt16LE(0);
    cols = payload.readInt16LE(2);
  } else {
    try {
      ({ rows, cols } = (JSON.parse(payload.toString("utf8")) ?? {}) as { rows?: unknown; cols?: unknown });
    } catch {
      throw new FrameFormatError("set size is neither 4 bytes nor JSON");
    }
    if (!Number.isInteger(rows) || !Number.isInteger(cols)) {
      throw new FrameFormatError("set size JSON needs integer rows and cols");
    }
  }
  if ((rows as number) <= 0 || (cols as number) <= 0) return undefined;
  return { rows: rows as number, cols: cols as number };
}
