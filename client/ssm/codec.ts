/**
 * The client's codec for AWS Session Manager data-channel messages, written from the published
 * message layout (the plugin's `ClientMessage`), apart from the local cloud's codec: the two must
 * never share code, so that one bug cannot hide in both.
 *
 * A message is one binary WebSocket frame, big-endian: a 116-byte header (the first field says
 * so), the payload length, the payload.
 */
import { createHash, randomUUID } from "node:crypto";
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

export function serialize(
  m: Omit<SsmMessage, "createdAt" | "id" | "schemaVersion"> & Partial<SsmMessage>,
): Buffer {
  const frame = Buffer.alloc(F.payload + m.payload.length);
  frame.writeUInt32BE(HEADER_LENGTH, F.headerLength);
  const type = Buffer.from(m.type.padEnd(32, " "), "ascii");
  if (type.length !== 32) throw new SsmFrameError("messageType", `"${m.type}" is longer than 32 characters`);
  type.copy(frame, F.messageType);
  frame.writeUInt32BE(m.schemaVersion ?? 1, F.schemaVersion);
  frame.writeBigUInt64BE(BigInt((m.createdAt ?? new Date()).getTime()), F.createdDate);
  frame.writeBigInt64BE(BigInt(m.sequence), F.sequenceNumber);
  frame.writeBigUInt64BE(m.flags, F.flags);
  writeUuid(frame, F.messageId, m.id ?? randomUUID());
  sha256(m.payload).copy(frame, F.payloadDigest);
  frame.writeUInt32BE(m.payloadType, F.payloadType);
  frame.writeUInt32BE(m.payload.length, F.payloadLength);
  m.payload.copy(frame, F.payload);
  return frame;
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
  if (!sha256(payload).equals(frame.subarray(F.payloadDigest, F.payloadDigest + 32))) {
    throw new SsmFrameError("payloadDigest", "does not match the payload");
  }
  return {
    type: frame.toString("ascii", F.messageType, F.messageType + 32).replace(/[ \0]/g, ""),
    schemaVersion: frame.readUInt32BE(F.schemaVersion),
    createdAt: new Date(Number(frame.readBigUInt64BE(F.createdDate))),
    sequence: Number(frame.readBigInt64BE(F.sequenceNumber)),
    flags: frame.readBigUInt64BE(F.flags),
    id: readUuid(frame, F.messageId),
    payloadType: frame.readUInt32BE(F.payloadType),
    payload: Buffer.from(payload),
  };
}

function writeUuid(frame: Buffer, at: number, uuid: string): void {
  const raw = Buffer.from(uuid.replace(/-/g, ""), "hex");
  if (raw.length !== 16) throw new SsmFrameError("messageId", `"${uuid}" is not a UUID`);
  raw.copy(frame, at, 8, 16); // least significant 8 bytes first
  raw.copy(frame, at + 8, 0, 8);
}

function readUuid(frame: Buffer, at: number): string {
  const hex = frame.toString("hex", at + 8, at + 16) + frame.toString("hex", at, at + 8);
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    "-",
  );
}

function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

/** The JSON of an `acknowledge` message. */
export interface AcknowledgeContent {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
}

export function acknowledgement(of: SsmMessage): Buffer {
  const content: AcknowledgeContent = {
    AcknowledgedMessageType: of.type,
    AcknowledgedMessageId: of.id,
    AcknowledgedMessageSequenceNumber: of.sequence,
    IsSequentialMessage: true,
  };
  return serialize({
    type: "acknowledge",
    sequence: 0,
    flags: 3n,
    payloadType: 0,
    payload: Buffer.from(JSON.stringify(content)),
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

/** The sequence number an `acknowledge` message acknowledges. */
export const readAcknowledge = (m: SsmMessage): number =>
  parseJson(m, "acknowledge", AcknowledgePayload).AcknowledgedMessageSequenceNumber;

export const readHandshakeRequest = (m: SsmMessage): HandshakeRequest =>
  parseJson(m, "HandshakeRequest", HandshakeRequestPayload);

/** `channel_closed`'s Output (often empty). */
export const readChannelClosed = (m: SsmMessage): string =>
  parseJson(m, "channel_closed", ChannelClosedPayload).Output ?? "";

/** A message's JSON payload, checked against `schema`; SsmFrameError says what is wrong, never what was sent. */
function parseJson<T>(m: SsmMessage, what: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(m.payload.toString("utf8"));
  } catch {
    throw new SsmFrameError("payload", `${what} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new SsmFrameError("payload", `${what}: ${where}${issue.message}`);
}
