/**
 * The client's codec for AWS Session Manager data-channel messages, written from the published
 * message layout (the plugin's `ClientMessage`), apart from the local cloud's codec: the two must
 * never share code, so that one bug cannot hide in both.
 *
 * A message is one binary WebSocket frame, big-endian: a 116-byte header (the first field says
 * so), the payload length, the payload.
 */
import { hash, randomFillSync } from "node:crypto";
import { z } from "zod";

/** Field offsets within the header, in wire order. */
const F = {
  headerLength: 0, // u32, always 116
  messageType: 4, // 32 bytes ASCII, padded with spaces
  schemaVersion: 36, // u32
  createdDate: 40, // u64 ms since the epoch
  sequenceNumber: 48, // i64
  flags: 56, // u64
  messageId: 64, // 16 bytes: UUID, least significant half first
  payloadDigest: 80, // 32 bytes SHA-256
  payloadType: 112, // u32
  payloadLength: 116, // u32
  payload: 120,
} as const;
const HEADER_LENGTH = F.payloadLength;

export type SsmMessageType =
  | "input_stream_data"
  | "output_stream_data"
  | "acknowledge"
  | "channel_closed"
  | "start_publication"
  | "pause_publication";

export enum SsmPayloadType {
  Output = 1,
  Error = 2,
  Size = 3,
  Parameter = 4,
  HandshakeRequest = 5,
  HandshakeResponse = 6,
  HandshakeComplete = 7,
  EncChallengeRequest = 8,
  EncChallengeResponse = 9,
  Flag = 10,
  StdErr = 11,
  ExitCode = 12,
}

export enum SsmFlag {
  DisconnectToPort = 1,
  TerminateSession = 2,
  ConnectToPortError = 3,
}

export interface SsmMessage {
  type: string;
  schemaVersion: number;
  createdAt: Date;
  sequence: number;
  flags: bigint;
  id: string;
  payloadType: number;
  payload: Buffer;
}

/** A frame the client cannot accept; `field` names the part that is wrong. */
export class SsmFrameError extends Error {
  constructor(
    readonly field: string,
    /** What is wrong with the field, without its bytes. */
    readonly reason: string,
  ) {
    super(`SSM data-channel frame: ${field}: ${reason}`);
    this.name = "SsmFrameError";
  }
}

/**
 * One message, written once into one buffer: every stream message goes through here, so nothing
 * is allocated but the frame and the digest.
 */
export function serialize(
  m: Omit<SsmMessage, "createdAt" | "id" | "schemaVersion"> & Partial<SsmMessage>,
): Buffer {
  const frame = Buffer.allocUnsafe(F.payload + m.payload.length);
  frame.writeUInt32BE(HEADER_LENGTH, F.headerLength);
  typeBytes(m.type).copy(frame, F.messageType);
  frame.writeUInt32BE(m.schemaVersion ?? 1, F.schemaVersion);
  writeUint64(frame, F.createdDate, m.createdAt?.getTime() ?? Date.now());
  if (m.sequence >= 0) writeUint64(frame, F.sequenceNumber, m.sequence);
  else frame.writeBigInt64BE(BigInt(m.sequence), F.sequenceNumber);
  if (m.flags < 2n ** 53n) writeUint64(frame, F.flags, Number(m.flags));
  else frame.writeBigUInt64BE(m.flags, F.flags);
  if (m.id === undefined) writeRandomUuid(frame, F.messageId);
  else writeUuid(frame, F.messageId, m.id);
  frame.write(sha256(m.payload), F.payloadDigest, "latin1");
  frame.writeUInt32BE(m.payloadType, F.payloadType);
  frame.writeUInt32BE(m.payload.length, F.payloadLength);
  m.payload.copy(frame, F.payload);
  return frame;
}

/** A message type as its 32 wire bytes, made once per type. */
const typeCache = new Map<string, Buffer>();
function typeBytes(type: string): Buffer {
  let bytes = typeCache.get(type);
  if (bytes) return bytes;
  bytes = Buffer.from(type.padEnd(32, " "), "ascii");
  if (bytes.length !== 32) throw new SsmFrameError("messageType", `"${type}" is longer than 32 characters`);
  if (typeCache.size < 16) typeCache.set(type, bytes);
  return bytes;
}

/** A non-negative integer below 2^53 as a big-endian u64, without a BigInt per message. */
function writeUint64(frame: Buffer, at: number, n: number): void {
  frame.writeUInt32BE(Math.floor(n / 2 ** 32), at);
  frame.writeUInt32BE(n % 2 ** 32, at + 4);
}

/**
 * A message as read: what every message needs (type, sequence number, payload) is read at once;
 * the rest, which only some need (an id to acknowledge), when asked. One arrives per message
 * sent, so what is not read is not made.
 */
class ReadMessage implements SsmMessage {
  readonly type: string;
  readonly sequence: number;
  readonly payloadType: number;
  readonly payload: Buffer;

  /** `frame` is this message's own copy: nothing here holds the buffer it was read from. */
  constructor(private readonly frame: Buffer) {
    this.type = readType(frame);
    // As Number(the i64) would read it, without a BigInt per message.
    this.sequence = frame.readInt32BE(F.sequenceNumber) * 2 ** 32 + frame.readUInt32BE(F.sequenceNumber + 4);
    this.payloadType = frame.readUInt32BE(F.payloadType);
    this.payload = frame.subarray(F.payload);
  }

  get schemaVersion(): number {
    return this.frame.readUInt32BE(F.schemaVersion);
  }

  get createdAt(): Date {
    return new Date(
      this.frame.readUInt32BE(F.createdDate) * 2 ** 32 + this.frame.readUInt32BE(F.createdDate + 4),
    );
  }

  get flags(): bigint {
    return this.frame.readBigUInt64BE(F.flags);
  }

  get id(): string {
    return readUuid(this.frame, F.messageId);
  }
}

export function deserialize(frame: Buffer): SsmMessage {
  if (frame.length < F.payload)
    throw new SsmFrameError("headerLength", `frame has ${frame.length} bytes, fewer than a header`);
  const headerLength = frame.readUInt32BE(F.headerLength);
  if (headerLength !== HEADER_LENGTH)
    throw new SsmFrameError("headerLength", `is ${headerLength}, expected ${HEADER_LENGTH}`);
  const payload = frame.subarray(F.payload);
  const declared = frame.readUInt32BE(F.payloadLength);
  if (declared !== payload.length)
    throw new SsmFrameError("payloadLength", `says ${declared}, frame carries ${payload.length}`);
  if (sha256(payload) !== frame.toString("latin1", F.payloadDigest, F.payloadDigest + 32)) {
    throw new SsmFrameError("payloadDigest", "does not match the payload");
  }
  return new ReadMessage(Buffer.from(frame));
}

/** Message types by their 32 wire bytes; the same few arrive all along, compared without a string each. */
const typeNames: Array<{ bytes: Buffer; name: string }> = [];
function readType(frame: Buffer): string {
  for (const known of typeNames) {
    if (frame.compare(known.bytes, 0, 32, F.messageType, F.messageType + 32) === 0) return known.name;
  }
  const bytes = frame.subarray(F.messageType, F.messageType + 32);
  const name = bytes.toString("ascii").replace(/[ \0]/g, "");
  if (typeNames.length < 16) typeNames.push({ bytes: Buffer.from(bytes), name });
  return name;
}

function writeUuid(frame: Buffer, at: number, uuid: string): void {
  const raw = Buffer.from(uuid.replace(/-/g, ""), "hex");
  if (raw.length !== 16) throw new SsmFrameError("messageId", `"${uuid}" is not a UUID`);
  raw.copy(frame, at, 8, 16); // least significant 8 bytes first
  raw.copy(frame, at + 8, 0, 8);
}

/** Random bytes for message ids, drawn in bulk: one call to the generator per 256 messages. */
const uuidPool = Buffer.allocUnsafe(16 * 256);
let uuidPoolAt = uuidPool.length;

/** A random (version 4) UUID straight into the frame, in wire order (least significant half first). */
function writeRandomUuid(frame: Buffer, at: number): void {
  if (uuidPoolAt === uuidPool.length) {
    randomFillSync(uuidPool);
    uuidPoolAt = 0;
  }
  uuidPool.copy(frame, at, uuidPoolAt, uuidPoolAt + 16);
  uuidPoolAt += 16;
  // UUID byte 6 (version 4) is wire byte 14, UUID byte 8 (variant 10) is wire byte 0.
  frame[at + 14] = (frame[at + 14] & 0x0f) | 0x40;
  frame[at] = (frame[at] & 0x3f) | 0x80;
}

function readUuid(frame: Buffer, at: number): string {
  const hex = frame.toString("hex", at + 8, at + 16) + frame.toString("hex", at, at + 8);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The digest as a latin1 string (one character per byte): the one-shot form, and a string costs
 * far less to make than a Buffer, twice per message.
 */
function sha256(data: Buffer): string {
  return hash("sha256", data, "binary"); // "binary" is latin1
}

/** The JSON of an `acknowledge` message. */
export interface AcknowledgeContent {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
}

export function acknowledgement(of: SsmMessage): Buffer {
  // The JSON of AcknowledgeContent, keys in the plugin's order, written without an object per message.
  const content =
    `{"AcknowledgedMessageType":${JSON.stringify(of.type)},"AcknowledgedMessageId":${JSON.stringify(of.id)},` +
    `"AcknowledgedMessageSequenceNumber":${of.sequence},"IsSequentialMessage":true}`;
  return serialize({
    type: "acknowledge",
    sequence: 0,
    flags: 3n,
    payloadType: 0,
    payload: Buffer.from(content),
  });
}

/** What the client reads of an agent's HandshakeRequest; anything else in it is ignored. */
export interface HandshakeRequest {
  AgentVersion?: string;
  RequestedClientActions?: {
    ActionType?: string;
    ActionParameters?: { SessionType?: string; Properties?: unknown };
  }[];
}

// The schemas stay inside this module: the public types of the client name no zod.
const AcknowledgePayload = z.object({
  AcknowledgedMessageSequenceNumber: z.number().int().nonnegative(),
});

const HandshakeRequestPayload: z.ZodType<HandshakeRequest> = z.object({
  AgentVersion: z.string().max(64).optional(),
  RequestedClientActions: z
    .array(
      z.object({
        ActionType: z.string().max(64).optional(),
        ActionParameters: z
          .object({ SessionType: z.string().max(64).optional(), Properties: z.unknown().optional() })
          .optional(),
      }),
    )
    .max(16)
    .optional(),
});

const ChannelClosedPayload = z.object({ Output: z.string().optional() });

/**
 * The sequence number an `acknowledge` message acknowledges. One arrives per message sent: the
 * schema only runs to say what is wrong with one that is not the usual shape.
 */
export const readAcknowledge = (m: SsmMessage): number =>
  parseJson(m, "acknowledge", AcknowledgePayload, isAcknowledge).AcknowledgedMessageSequenceNumber;

function isAcknowledge(value: unknown): value is z.infer<typeof AcknowledgePayload> {
  const sequence = (value as { AcknowledgedMessageSequenceNumber?: unknown } | null)
    ?.AcknowledgedMessageSequenceNumber;
  return typeof sequence === "number" && Number.isSafeInteger(sequence) && sequence >= 0;
}

export const readHandshakeRequest = (m: SsmMessage): HandshakeRequest =>
  parseJson(m, "HandshakeRequest", HandshakeRequestPayload);

/** `channel_closed`'s Output (often empty). */
export const readChannelClosed = (m: SsmMessage): string =>
  parseJson(m, "channel_closed", ChannelClosedPayload).Output ?? "";

/**
 * A message's JSON payload, checked against `schema` unless `usual` already accepts it (a cheap
 * test for the shape that arrives once per message); SsmFrameError says what is wrong, never
 * what was sent.
 */
function parseJson<T>(m: SsmMessage, what: string, schema: z.ZodType<T>, usual?: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(m.payload.toString("utf8"));
  } catch {
    throw new SsmFrameError("payload", `${what} is not JSON`);
  }
  if (usual?.(value)) return value;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new SsmFrameError("payload", `${what}: ${where}${issue.message}`);
}
