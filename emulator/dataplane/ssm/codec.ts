/**
 * The local cloud's codec for Session Manager data-channel messages (the agent and service
 * side). Written from the published layout of the AWS Session Manager plugin's `ClientMessage`;
 * the package's client has its own codec (client/ssm/codec.ts): the two never share code.
 *
 * Binary frames, big-endian, 116-byte header then the payload:
 *
 *   off len field
 *     0   4 header length (116: every field below up to, not including, payload length)
 *     4  32 message type, ASCII, space-padded
 *    36   4 schema version
 *    40   8 created date, ms since the epoch
 *    48   8 sequence number (signed)
 *    56   8 flags (bit 0 SYN: first of a stream; bit 1 FIN)
 *    64  16 message id: a UUID, its low 8 bytes first, then its high 8 bytes
 *    80  32 SHA-256 of the payload
 *   112   4 payload type
 *   116   4 payload length
 *   120   n payload
 */
import { hash, randomFillSync, randomUUID } from "node:crypto";
import { z } from "zod";

export const HEADER_LENGTH = 116;
const PAYLOAD_OFFSET = HEADER_LENGTH + 4;
const TYPE_LENGTH = 32;

export const MessageType = {
  input: "input_stream_data",
  output: "output_stream_data",
  acknowledge: "acknowledge",
  channelClosed: "channel_closed",
  startPublication: "start_publication",
  pausePublication: "pause_publication",
} as const;

export const PayloadType = {
  output: 1,
  error: 2,
  size: 3,
  parameter: 4,
  handshakeRequest: 5,
  handshakeResponse: 6,
  handshakeComplete: 7,
  encChallengeRequest: 8,
  encChallengeResponse: 9,
  flag: 10,
  stdErr: 11,
  exitCode: 12,
} as const;

/** Payloads of `flag` messages (a big-endian u32). */
export const Flag = { disconnectToPort: 1, terminateSession: 2, connectToPortError: 3 } as const;

export interface AgentMessage {
  messageType: string;
  schemaVersion: number;
  /** ms since the epoch. */
  createdDate: number;
  sequenceNumber: number;
  flags: number;
  /** Lower-case hyphenated UUID. */
  messageId: string;
  payloadType: number;
  payload: Buffer;
}

/** A frame that is not a well-formed message; `reason` says which rule it broke. */
export class MalformedMessage extends Error {
  constructor(readonly reason: string) {
    super(`malformed data-channel message: ${reason}`);
    this.name = "MalformedMessage";
  }
}

export function encodeMessage(m: AgentMessage): Buffer {
  return encode(m, m.messageId);
}

/**
 * Every message is written here, once, into one buffer. Without `messageId` a random one is
 * written straight into it (the stream messages and acknowledgements: one per message).
 */
function encode(m: Omit<AgentMessage, "messageId">, messageId?: string): Buffer {
  const out = Buffer.allocUnsafe(PAYLOAD_OFFSET + m.payload.length);
  out.writeUInt32BE(HEADER_LENGTH, 0);
  typeField(m.messageType).copy(out, 4);
  out.writeUInt32BE(m.schemaVersion, 36);
  writeU64(out, 40, m.createdDate);
  if (m.sequenceNumber >= 0) writeU64(out, 48, m.sequenceNumber);
  else out.writeBigInt64BE(BigInt(m.sequenceNumber), 48);
  writeU64(out, 56, m.flags);
  if (messageId === undefined) randomId(out, 64);
  else uuidToWire(messageId).copy(out, 64);
  out.write(digest(m.payload), 80, "latin1");
  out.writeUInt32BE(m.payloadType, 112);
  out.writeUInt32BE(m.payload.length, 116);
  m.payload.copy(out, PAYLOAD_OFFSET);
  return out;
}

/**
 * SHA-256 as a latin1 string (a character per byte), in one call: twice per message, and a string
 * costs far less to make than a Buffer.
 */
function digest(payload: Buffer): string {
  return hash("sha256", payload, "binary"); // "binary" is latin1
}

/** The 32 space-padded bytes of a message type, checked and made once per type. */
const typeFields = new Map<string, Buffer>();
function typeField(messageType: string): Buffer {
  let field = typeFields.get(messageType);
  if (field) return field;
  if (messageType.length > TYPE_LENGTH || !/^[\x20-\x7e]+$/.test(messageType)) {
    throw new RangeError(`message type must be 1..${TYPE_LENGTH} printable ASCII characters`);
  }
  field = Buffer.alloc(TYPE_LENGTH, 0x20);
  field.write(messageType, 0, "ascii");
  if (typeFields.size < 16) typeFields.set(messageType, field);
  return field;
}

/** A non-negative integer (below 2^53) as a big-endian u64, with no BigInt per message. */
function writeU64(out: Buffer, at: number, n: number): void {
  out.writeUInt32BE(Math.floor(n / 2 ** 32), at);
  out.writeUInt32BE(n % 2 ** 32, at + 4);
}

/** Random bytes for message ids, drawn 256 ids at a time. */
const idPool = Buffer.allocUnsafe(16 * 256);
let idPoolUsed = idPool.length;

/** A version 4 UUID in wire order: its byte 6 is wire byte 14, its byte 8 wire byte 0. */
function randomId(out: Buffer, at: number): void {
  if (idPoolUsed === idPool.length) {
    randomFillSync(idPool);
    idPoolUsed = 0;
  }
  idPool.copy(out, at, idPoolUsed, idPoolUsed + 16);
  idPoolUsed += 16;
  out[at + 14] = (out[at + 14] & 0x0f) | 0x40;
  out[at] = (out[at] & 0x3f) | 0x80;
}

/** Decodes and validates one binary frame; throws MalformedMessage naming the broken rule. */
export function decodeMessage(frame: Buffer): AgentMessage {
  if (frame.length < PAYLOAD_OFFSET)
    throw new MalformedMessage(`frame of ${frame.length} bytes is shorter than the 120-byte header`);
  const headerLength = frame.readUInt32BE(0);
  if (headerLength !== HEADER_LENGTH)
    throw new MalformedMessage(`header length ${headerLength} is not ${HEADER_LENGTH}`);
  const messageType = readType(frame);
  const payloadLength = frame.readUInt32BE(116);
  if (payloadLength !== frame.length - PAYLOAD_OFFSET) {
    throw new MalformedMessage(
      `payload length ${payloadLength} does not match the ${frame.length - PAYLOAD_OFFSET} bytes that follow the header`,
    );
  }
  const payload = frame.subarray(PAYLOAD_OFFSET);
  if (digest(payload) !== frame.toString("latin1", 80, 112))
    throw new MalformedMessage("payload digest does not match the payload");
  // The u64 and i64 fields as Number() of them would read, with no BigInt per message.
  const createdDate = frame.readUInt32BE(40) * 2 ** 32 + frame.readUInt32BE(44);
  if (createdDate === 0) throw new MalformedMessage("created date is zero");
  return {
    messageType,
    schemaVersion: frame.readUInt32BE(36),
    createdDate,
    sequenceNumber: frame.readInt32BE(48) * 2 ** 32 + frame.readUInt32BE(52),
    flags: frame.readUInt32BE(56) * 2 ** 32 + frame.readUInt32BE(60),
    messageId: uuidFromWire(frame.subarray(64, 80)),
    payloadType: frame.readUInt32BE(112),
    payload: Buffer.from(payload),
  };
}

/**
 * Valid message types by their 32 wire bytes, checked once each: the same few arrive all along,
 * so a frame's field is compared with them in place, not turned into a string each time.
 */
const typeNames: Array<{ field: Buffer; name: string }> = [];
function readType(frame: Buffer): string {
  for (const known of typeNames) {
    if (known.field.compare(frame, 4, 4 + TYPE_LENGTH) === 0) return known.name;
  }
  const field = frame.subarray(4, 4 + TYPE_LENGTH);
  const messageType = field
    .toString("ascii")
    .replace(/[\0 ]+$/, "")
    .replace(/^[\0 ]+/, "");
  if (!/^[a-z_]+$/.test(messageType)) throw new MalformedMessage("message type is empty or not a known name");
  if (typeNames.length < 16) typeNames.push({ field: Buffer.from(field), name: messageType });
  return messageType;
}

/** UUID text -> the 16 wire bytes (low half first). */
export function uuidToWire(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  const bytes = Buffer.from(hex, "hex");
  return Buffer.concat([bytes.subarray(8), bytes.subarray(0, 8)]);
}

export function uuidFromWire(wire: Buffer): string {
  const hex = wire.toString("hex", 8, 16) + wire.toString("hex", 0, 8);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A stream message from the agent (`output_stream_data`). The first of a stream carries SYN. */
export function outputMessage(
  sequenceNumber: number,
  payloadType: number,
  payload: Buffer,
  now: number,
): Buffer {
  return encode({
    messageType: MessageType.output,
    schemaVersion: 1,
    createdDate: now,
    sequenceNumber,
    flags: sequenceNumber === 0 ? 1 : 0,
    payloadType,
    payload,
  });
}

/** The acknowledgement of a stream message, as both sides send it. */
export function acknowledgeMessage(acked: AgentMessage, now: number): Buffer {
  // The agent's JSON, in its key order, written without an object per message.
  const content =
    `{"AcknowledgedMessageType":${JSON.stringify(acked.messageType)},` +
    `"AcknowledgedMessageId":${JSON.stringify(acked.messageId)},` +
    `"AcknowledgedMessageSequenceNumber":${acked.sequenceNumber},"IsSequentialMessage":true}`;
  // A read type is [a-z_]+ and an id hex: all ASCII, a byte per character.
  return encode({
    messageType: MessageType.acknowledge,
    schemaVersion: 1,
    createdDate: now,
    sequenceNumber: 0,
    flags: 3,
    payloadType: 0,
    payload: Buffer.from(content, "latin1"),
  });
}

/** The sequence number an `acknowledge` message acknowledges. */
export function acknowledgedSequence(m: AgentMessage): number {
  let content: unknown;
  try {
    content = JSON.parse(m.payload.toString("utf8"));
  } catch {
    throw new MalformedMessage("acknowledge payload is not JSON");
  }
  const seq = (content as { AcknowledgedMessageSequenceNumber?: unknown } | null)
    ?.AcknowledgedMessageSequenceNumber;
  if (typeof seq !== "number" || !Number.isInteger(seq))
    throw new MalformedMessage("acknowledge payload has no AcknowledgedMessageSequenceNumber");
  return seq;
}

/** What the service sends when a session ends; the client exits on it. */
export function channelClosedMessage(sessionId: string, target: string, output: string, now: number): Buffer {
  const messageId = randomUUID();
  const content = {
    MessageId: messageId,
    CreatedDate: new Date(now).toISOString(),
    DestinationId: target,
    SessionId: sessionId,
    MessageType: MessageType.channelClosed,
    SchemaVersion: 1,
    Output: output,
  };
  return encodeMessage({
    messageType: MessageType.channelClosed,
    schemaVersion: 1,
    createdDate: now,
    sequenceNumber: 0,
    flags: 0,
    messageId,
    payloadType: 0,
    payload: Buffer.from(JSON.stringify(content)),
  });
}

/** The text frame a client opens the channel with. */
export interface OpenDataChannel {
  MessageSchemaVersion?: string;
  RequestId?: string;
  TokenValue: string;
  ClientId?: string;
  ClientVersion?: string;
}

export function parseOpenDataChannel(text: string): OpenDataChannel {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedMessage("OpenDataChannel is not JSON");
  }
  const token = (value as { TokenValue?: unknown } | null)?.TokenValue;
  if (typeof token !== "string" || token === "")
    throw new MalformedMessage("OpenDataChannel has no TokenValue");
  return value as OpenDataChannel;
}

/**
 * `pause_publication` / `start_publication`: what the service tells a client when the far side
 * stops (or starts again) taking its stream data. They carry no payload, and no sequence number
 * of the stream (the plugin does not validate them; it ignores them).
 */
export function publicationMessage(
  messageType: typeof MessageType.pausePublication | typeof MessageType.startPublication,
  now: number,
): Buffer {
  return encode({
    messageType,
    schemaVersion: 1,
    createdDate: now,
    sequenceNumber: 0,
    flags: 0,
    payloadType: 0,
    payload: Buffer.alloc(0),
  });
}

/** Parses a JSON payload with `schema`; anything else (not JSON, `null`, wrong types) is malformed. */
function parsePayload<T>(payload: Buffer, schema: z.ZodType<T>, what: string, expected: string): T {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString("utf8"));
  } catch {
    throw new MalformedMessage(`${what} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new MalformedMessage(`${what} is not ${expected}`);
  return parsed.data;
}

const handshakeResponseSchema = z.object({
  ProcessedClientActions: z
    .array(
      z.object({
        ActionType: z.string(),
        ActionStatus: z.number(),
        Error: z.string().nullish(),
      }),
    )
    .nullish(),
});

const sizeSchema = z.object({ cols: z.number(), rows: z.number() });

export type HandshakeResponse = z.infer<typeof handshakeResponseSchema>;

/** The client's HandshakeResponse (payload type 6). */
export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  return parsePayload(
    payload,
    handshakeResponseSchema,
    "HandshakeResponse",
    "an object whose ProcessedClientActions list ActionType and ActionStatus",
  );
}

/** A terminal size (payload type 3): `{"cols":N,"rows":N}`. */
export function parseSize(payload: Buffer): { cols: number; rows: number } {
  return parsePayload(payload, sizeSchema, "size payload", "an object with numeric cols and rows");
}
