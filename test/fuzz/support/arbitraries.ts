/**
 * Generators of hostile bytes, each starting from a fixture the codec tests already pin down
 * (emulator/dataplane/ssm/codec.test.ts, client/ssm/codec.test.ts, client/ecs/codec.test.ts,
 * emulator/dataplane/ecs/frames.test.ts), plus fully random bytes. Structured frames keep the
 * parts a peer can trivially get right (lengths, the payload digest) most of the time, so inputs
 * get past the codec into the code behind it.
 */
import { createHash } from "node:crypto";
import { fc } from "@fast-check/jest";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** Bytes of `base` with some bytes overwritten, then cut or extended. */
export function mutatedBytes(base: Buffer): fc.Arbitrary<Buffer> {
  return fc
    .record({
      writes: fc.array(fc.record({ at: fc.nat(base.length + 8), value: fc.integer({ min: 0, max: 255 }) }), {
        maxLength: 6,
      }),
      cut: fc.option(fc.nat(base.length), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ writes, cut, tail }) => {
      const out = Buffer.concat([base, Buffer.from(tail)]);
      for (const w of writes) if (w.at < out.length) out[w.at] = w.value;
      return cut === undefined ? out : out.subarray(0, cut);
    });
}

export const randomBytes = (maxLength = 512) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));

/** Replaces some fields of a fixture object with any JSON value, or drops them. */
export function mutatedJson(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(base);
  return fc
    .record({
      replace: fc.dictionary(
        fc.constantFrom(...keys, "constructor", "__proto__"),
        fc.jsonValue({ maxDepth: 2 }),
        {
          maxKeys: 3,
        },
      ),
      drop: fc.subarray(keys),
    })
    .map(({ replace, drop }) => {
      const out: Record<string, unknown> = { ...base };
      for (const k of drop) delete out[k];
      for (const [k, v] of Object.entries(replace))
        Object.defineProperty(out, k, { value: v, enumerable: true });
      return out;
    });
}

/** A JSON text: a mutated fixture, `null` and other bare values, or any JSON. */
export function jsonText(base: Record<string, unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: mutatedJson(base).map((v) => JSON.stringify(v)), weight: 4 },
    { arbitrary: fc.constantFrom("null", "null", "[]", '""', "0", "true", "{}", "{", "nul"), weight: 3 },
    { arbitrary: fc.json({ maxDepth: 2 }), weight: 1 },
  );
}

// ---- SSM data-channel messages (big-endian, 116-byte header, SHA-256 of the payload) ----

/** The keystroke message of emulator/dataplane/ssm/codec.test.ts ("ls\r", sequence 7). */
export const SSM_FIXTURE = hex(
  "00000074" +
    Buffer.from("input_stream_data".padEnd(32, " "), "ascii").toString("hex") +
    "00000001 0000018c471afc00 0000000000000007 0000000000000000" +
    "99aabbccddeeff00 1122334455667788" +
    "1d887ce0f8672e4914d9000e801cd74ecd805dd9366c0bc42dc16adc0197dc2f" +
    "00000001 00000003 6c730d",
);

export interface SsmFields {
  type: string;
  sequence: bigint;
  flags: bigint;
  payloadType: number;
  payload: Buffer;
  /** Keep the digest and length right (else they are left as the fixture's). */
  consistent: boolean;
}

/** The fixture with its fields replaced. */
export function ssmFrame(f: SsmFields): Buffer {
  const frame = Buffer.concat([SSM_FIXTURE.subarray(0, 120), f.payload]);
  frame.fill(0x20, 4, 36);
  frame.write(f.type.slice(0, 32), 4, "latin1");
  frame.writeBigInt64BE(BigInt.asIntN(64, f.sequence), 48);
  frame.writeBigUInt64BE(BigInt.asUintN(64, f.flags), 56);
  frame.writeUInt32BE(f.payloadType >>> 0, 112);
  if (f.consistent) {
    createHash("sha256").update(f.payload).digest().copy(frame, 80);
    frame.writeUInt32BE(f.payload.length, 116);
  }
  return frame;
}

const SSM_TYPES = [
  "input_stream_data",
  "output_stream_data",
  "acknowledge",
  "channel_closed",
  "start_publication",
  "pause_publication",
];

/** What each side's JSON payloads look like, as the codec tests and the handshake write them. */
export const SSM_JSON = {
  acknowledge: {
    AcknowledgedMessageType: "output_stream_data",
    AcknowledgedMessageId: "11223344-5566-7788-99aa-bbccddeeff00",
    AcknowledgedMessageSequenceNumber: 0,
    IsSequentialMessage: true,
  },
  handshakeRequest: {
    AgentVersion: "3.3.1611.0",
    RequestedClientActions: [
      {
        ActionType: "SessionType",
        ActionParameters: {
          SessionType: "Port",
          Properties: { portNumber: "80", type: "LocalPortForwarding" },
        },
      },
    ],
  },
  handshakeResponse: {
    ClientVersion: "1.2.0.0",
    ProcessedClientActions: [{ ActionType: "SessionType", ActionStatus: 1, ActionResult: null, Error: "" }],
    Errors: [],
  },
  channelClosed: { SessionId: "s-1", DestinationId: "i-1", Output: "", SchemaVersion: 1 },
  size: { cols: 80, rows: 24 },
};

const ssmPayload = fc.oneof(
  ...Object.values(SSM_JSON).map((base) => jsonText(base).map((t) => Buffer.from(t))),
  fc.integer({ min: 0, max: 4 }).map((flag) => Buffer.from([0, 0, 0, flag])),
  randomBytes(256),
);

/** A message a hostile peer could send: fields from the protocol's vocabulary, or not. */
export const ssmMessage: fc.Arbitrary<Buffer> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        type: fc.oneof({ arbitrary: fc.constantFrom(...SSM_TYPES), weight: 5 }, fc.string({ maxLength: 40 })),
        sequence: fc.oneof(
          { arbitrary: fc.bigInt({ min: 0n, max: 4n }), weight: 4 },
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        ),
        flags: fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        payloadType: fc.oneof(
          { arbitrary: fc.constantFrom(1, 3, 5, 6, 7, 10), weight: 3 },
          fc.integer({ min: 0, max: 12 }),
          fc.nat(),
        ),
        payload: ssmPayload,
        consistent: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, fc.constant(false)),
      })
      .map(ssmFrame),
  },
  { weight: 2, arbitrary: mutatedBytes(SSM_FIXTURE) },
  { weight: 1, arbitrary: randomBytes() },
);

// ---- ECS Session Manager messages (little-endian, 30-byte header) ----

/** The frames of emulator/dataplane/ecs/frames.test.ts and client/ecs/codec.test.ts. */
export const ECS_FIXTURES = [
  hex("00000000 312e3031 00 00 0068e5cfbb010000 0300000000000000 03000000 6c730d"), // input "ls\r"
  hex("02000000 312e3031 03 732d31 02 6939 0068e5cf8b010000 ffffffffffffffff 04000000 18005000"), // size, ids
  hex("03000000 312e3031 0000 0100000000000000 0200000000000000 01000000 31"), // close "1"
  hex("01000000 312e3031 0000 0100000000000000 0900000000000000 02000000 0d0a"), // output "\r\n"
  hex("05000000 312e3031 0000 0100000000000000 0000000000000000 05000000 0700190000"), // send rate
  hex("05000000 312e3031 0000 0100000000000000 0000000000000000 0d000000 054167656e7454696d656f7574"), // closed
];

export interface EcsFields {
  type: number;
  version: string;
  sessionId: string;
  instanceId: string;
  created: bigint;
  sequence: bigint;
  payload: Buffer;
  /** Added to the true payload length. */
  lengthSkew: number;
}

export function ecsFrame(f: EcsFields): Buffer {
  const ids = Buffer.concat([
    Buffer.from([Buffer.byteLength(f.sessionId, "latin1") & 0xff]),
    Buffer.from(f.sessionId, "latin1"),
    Buffer.from([Buffer.byteLength(f.instanceId, "latin1") & 0xff]),
    Buffer.from(f.instanceId, "latin1"),
  ]);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(f.type >>> 0, 0);
  head.write(f.version.padEnd(4, "\0").slice(0, 4), 4, "latin1");
  const tail = Buffer.alloc(20);
  tail.writeBigUInt64LE(BigInt.asUintN(64, f.created), 0);
  tail.writeBigInt64LE(BigInt.asIntN(64, f.sequence), 8);
  tail.writeUInt32LE((f.payload.length + f.lengthSkew) >>> 0, 16);
  return Buffer.concat([head, ids, tail, f.payload]);
}

/** Status payloads: a code byte and a reason, or a send rate of 0 to 6 bytes. */
const ecsStatus = fc.oneof(
  fc
    .tuple(fc.constantFrom(2, 5), fc.string({ maxLength: 40 }))
    .map(([c, r]) => Buffer.concat([Buffer.from([c]), Buffer.from(r)])),
  fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.concat([Buffer.from([7]), Buffer.from(b)])),
);

const ecsPayload = fc.oneof(
  ecsStatus,
  fc.tuple(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 })).map(([r, c]) => {
    const b = Buffer.alloc(4);
    b.writeInt16LE(r, 0);
    b.writeInt16LE(c, 2);
    return b;
  }),
  jsonText({ cols: 120, rows: 40 }).map((t) => Buffer.from(t)),
  fc.constant(Buffer.from("1")),
  randomBytes(256),
);

export const ecsMessage: fc.Arbitrary<Buffer> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        type: fc.oneof({ arbitrary: fc.constantFrom(0, 1, 2, 3, 5), weight: 5 }, fc.nat()),
        version: fc.oneof({ arbitrary: fc.constant("1.01"), weight: 5 }, fc.string({ maxLength: 4 })),
        sessionId: fc.oneof({ arbitrary: fc.constant(""), weight: 3 }, fc.string({ maxLength: 20 })),
        instanceId: fc.oneof({ arbitrary: fc.constant(""), weight: 3 }, fc.string({ maxLength: 20 })),
        created: fc.oneof(
          { arbitrary: fc.constant(1700000000000n), weight: 4 },
          fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        ),
        sequence: fc.oneof(
          fc.bigInt({ min: 0n, max: 4n }),
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        ),
        payload: ecsPayload,
        lengthSkew: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, fc.integer({ min: -8, max: 8 })),
      })
      .map(ecsFrame),
  },
  { weight: 2, arbitrary: fc.constantFrom(...ECS_FIXTURES).chain(mutatedBytes) },
  { weight: 1, arbitrary: randomBytes() },
);
