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
import { createHash, randomUUID } from "node:crypto";
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
  if (m.messageType.length > TYPE_LENGTH || !/^[\x20-\x7e]+$/.test(m.messageType)) {
    throw new RangeError(`message type must be 1..${TYPE_LENGTH} printable ASCII characters`);
  }
  const out = Buffer.alloc(PAYLOAD_OFFSET + m.payload.length);
  out.writeUInt32BE(HEADER_LENGTH, 0);
  out.fill(0x20, 4, 4 + TYPE_LENGTH);
  out.write(m.messageType, 4, "ascii");
  out.writeUInt32BE(m.schemaVersion, 36);
  out.writeBigUInt64BE(BigInt(m.createdDate), 40);
  out.writeBigInt64BE(BigInt(m.sequenceNumber), 48);
  out.writeBigUInt64BE(BigInt(m.flags), 56);
  uuidToWire(m.messageId).copy(out, 64);
  createHash("sha256").update(m.payload).digest().copy(out, 80);
  out.writeUInt32BE(m.payloadType, 112);
  out.writeUInt32BE(m.payload.length, 116);
  m.payload.copy(out, PAYLOAD_OFFSET);
  return out;
}

/** Decodes and validates one binary frame; throws MalformedMessage naming the broken rule. */
export function decodeMessage(frame: Buffer): AgentMessage {
  if (frame.length < PAYLOAD_OFFSET)
    throw new MalformedMessage(`frame of ${frame.length} bytes is shorter than the 120-byte header`);
  const headerLength = frame.readUInt32BE(0);
  if (headerLength !== HEADER_LENGTH)
    throw new MalformedMessage(`header length ${headerLength} is not ${HEADER_LENGTH}`);
  const messageType = frame
    .toString("ascii", 4, 4 + TYPE_LENGTH)
    .replace(/[\0 ]+$/, "")
    .replace(/^[\0 ]+/, "");
  if (!/^[a-z_]+$/.test(messageType)) throw new MalformedMessage("message type is empty or not a known name");
  const payloadLength = frame.readUInt32BE(116);
  if (payloadLength !== frame.length - PAYLOAD_OFFSET) {
    throw new MalformedMessage(
      `payload length ${payloadLength} does not match the ${frame.length - PAYLOAD_OFFSET} bytes that follow the header`,
    );
  }
  const payload = frame.subarray(PAYLOAD_OFFSET);
  const digest = frame.subarray(80, 112);
  if (!createHash("sha256").update(payload).digest().equals(digest))
    throw new MalformedMessage("payload digest does not match the payload");
  const createdDate = Number(frame.readBigUInt64BE(40));
  if (createdDate === 0) throw new MalformedMessage("created date is zero");
  return {
    messageType,
    schemaVersion: frame.readUInt32BE(36),
    createdDate,
    sequenceNumber: Number(frame.readBigInt64BE(48)),
    flags: Number(frame.readBigUInt64BE(56)),
    messageId: uuidFromWire(frame.subarray(64, 80)),
    payloadType: frame.readUInt32BE(112),
    payload: Buffer.from(payload),
  };
}

/** UUID text -> the 16 wire bytes (low half first). */
export function uuidToWire(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  const bytes = Buffer.from(hex, "hex");
  return Buffer.concat([bytes.subarray(8), bytes.subarray(0, 8)]);
}

export function uuidFromWire(wire: Buffer): string {
  const hex = Buffer.concat([wire.subarray(8, 16), wire.subarray(0, 8)]).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A stream message from the agent (`output_stream_data`). The first of a stream carries SYN. */
export function outputMessage(
  sequenceNumber: number,
  payloadType: number,
  payload: Buffer,
  now: number,
): Buffer {
  return encodeMessage({
    messageType: MessageType.output,
    schemaVersion: 1,
    createdDate: now,
    sequenceNumber,
    flags: sequenceNumber === 0 ? 1 : 0,
    messageId: randomUUID(),
    payloadType,
    payload,
  });
}

/** The acknowledgement of a stream message, as both sides send it. */
export function acknowledgeMessage(acked: AgentMessage, now: number): Buffer {
  const content = {
    AcknowledgedMessageType: acked.messageType,
    AcknowledgedMessageId: acked.messageId,
    AcknowledgedMessageSequenceNumber: acked.sequenceNumber,
    IsSequentialMessage: true,
  };
  return encodeMessage({
    messageType: MessageType.acknowledge,
    schemaVersion: 1,
    createdDate: now,
    sequenceNumber: 0,
    flags: 3,
    messageId: randomUUID(),
    payloadType: 0,
    payload: Buffer.from(JSON.stringify(content)),
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
  return encodeMessage({
    messageType,
    schemaVersion: 1,
    createdDate: now,
    sequenceNumber: 0,
    flags: 0,
    messageId: randomUUID(),
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
