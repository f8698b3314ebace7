import { SsmFrameError, acknowledgement, deserialize, readAcknowledge, serialize } from "./codec";
import { MuxClient } from "./smux";

// An agent's output message ("hi\n", sequence 1, SYN flag), written out field by field from
// the layout the plugin's source documents.
const OUTPUT_HEX =
  "00000074" + // header length
  Buffer.from("output_stream_data".padEnd(32, " ")).toString("hex") +
  "00000001" + // schema version
  "00000191aae1a400" + // created 2024-09-01T00:00:00Z in ms
  "0000000000000001" + // sequence number
  "0000000000000001" + // flags: SYN
  "0011223344556677" +
  "8899aabbccddeeff"; // UUID 8899aabb-...-223344556677, low half first

describe("SSM data-channel codec (client)", () => {
  const payload = Buffer.from("hi\n");
  // sha256("hi\n"), precomputed: the codec must put exactly these bytes at offset 80.
  const digest = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4";
  const fixture = Buffer.from(
    OUTPUT_HEX + digest + "00000001" /* payload type */ + "00000003" /* length */ + payload.toString("hex"),
    "hex",
  );
  const created = new Date("2024-09-01T00:00:00Z");

  it("reads every field of the fixture", () => {
    const m = deserialize(fixture);
    const { type, schemaVersion, createdAt, sequence, flags, id, payloadType } = m;
    expect({ type, schemaVersion, createdAt, sequence, flags, id, payloadType, payload: m.payload }).toEqual({
      type: "output_stream_data",
      schemaVersion: 1,
      createdAt: created,
      sequence: 1,
      flags: 1n,
      id: "8899aabb-ccdd-eeff-0011-223344556677",
      payloadType: 1,
      payload,
    });
  });

  it("writes the fixture back byte for byte", () => {
    const written = serialize({
      type: "output_stream_data",
      schemaVersion: 1,
      createdAt: created,
      sequence: 1,
      flags: 1n,
      id: "8899aabb-ccdd-eeff-0011-223344556677",
      payloadType: 1,
      payload,
    });
    expect(written.toString("hex")).toBe(fixture.toString("hex"));
  });

  it("refuses frames with a bad header length, payload length or digest, naming the field", () => {
    const field = (frame: Buffer) => {
      try {
        deserialize(frame);
        return "none";
      } catch (e) {
        return e instanceof SsmFrameError ? e.field : "other";
      }
    };
    expect(field(fixture.subarray(0, 119))).toBe("headerLength");
    const hl = Buffer.from(fixture);
    hl.writeUInt32BE(120, 0);
    expect(field(hl)).toBe("headerLength");
    expect(field(Buffer.concat([fixture, Buffer.from("x")]))).toBe("payloadLength");
    const bad = Buffer.from(fixture);
    bad[120] = 0x48;
    expect(field(bad)).toBe("payloadDigest");
  });

  it("acknowledges with the message's type, id and sequence number", () => {
    const ack = deserialize(acknowledgement(deserialize(fixture)));
    expect(ack).toMatchObject({ type: "acknowledge", sequence: 0, flags: 3n, payloadType: 0 });
    // Byte for byte what JSON.stringify of the plugin's AcknowledgeContent writes, keys in its order.
    expect(ack.payload.toString()).toBe(
      JSON.stringify({
        AcknowledgedMessageType: "output_stream_data",
        AcknowledgedMessageId: "8899aabb-ccdd-eeff-0011-223344556677",
        AcknowledgedMessageSequenceNumber: 1,
        IsSequentialMessage: true,
      }),
    );
    expect(readAcknowledge(ack)).toBe(1);
  });

  it("reads an acknowledgement of another shape through the schema, and says what is wrong", () => {
    const ack = (json: string) =>
      deserialize(
        serialize({
          type: "acknowledge",
          sequence: 0,
          flags: 3n,
          payloadType: 0,
          payload: Buffer.from(json),
        }),
      );
    expect(readAcknowledge(ack('{"AcknowledgedMessageSequenceNumber":5,"Extra":[1]}'))).toBe(5);
    expect(() => readAcknowledge(ack('{"AcknowledgedMessageSequenceNumber":-1}'))).toThrow(
      /acknowledge: AcknowledgedMessageSequenceNumber: /,
    );
    expect(() => readAcknowledge(ack('{"AcknowledgedMessageSequenceNumber":1.5}'))).toThrow(SsmFrameError);
    expect(() => readAcknowledge(ack("[]"))).toThrow(/acknowledge: /);
  });

  it("gives every message a fresh version 4 UUID, and reads large and negative numbers back", () => {
    const ids = new Set<string>();
    for (let sequence = 0; sequence < 600; sequence++) {
      const m = deserialize(
        serialize({ type: "input_stream_data", sequence, flags: 0n, payloadType: 1, payload }),
      );
      expect(m.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(m.id);
    }
    expect(ids.size).toBe(600);
    for (const sequence of [2 ** 32 + 7, 2 ** 53 - 1, -1, -(2 ** 40)]) {
      const frame = serialize({ type: "input_stream_data", sequence, flags: 0n, payloadType: 1, payload });
      expect(frame.readBigInt64BE(48)).toBe(BigInt(sequence));
      expect(deserialize(frame).sequence).toBe(sequence);
    }
  });
});

describe("smux v1 (client)", () => {
  it("opens odd-numbered streams with SYN, pushes data and ends with FIN, as the frame layout says", () => {
    const sent: string[] = [];
    const mux = new MuxClient(
      (b) => sent.push(b.toString("hex")),
      () => undefined,
    );
    const a = mux.open();
    const b = mux.open();
    a.write(Buffer.from("ab"));
    b.end();
    expect(sent).toEqual([
      "0100000001000000", // SYN stream 1
      "0100000003000000", // SYN stream 3
      "01020200010000006162", // PSH stream 1, length 2, "ab"
      "0101000003000000", // FIN stream 3
    ]);
  });

  it("delivers pushes split across messages and two frames in one message", () => {
    const mux = new MuxClient(
      () => undefined,
      () => undefined,
    );
    const s = mux.open();
    const got: string[] = [];
    let ended = false;
    s.onData = (d) => got.push(d.toString());
    s.onEnd = () => (ended = true);
    const frames = Buffer.from("0102030001000000787978" + "0101000001000000", "hex");
    mux.receive(frames.subarray(0, 5));
    mux.receive(frames.subarray(5));
    expect(got).toEqual(["xyx"]);
    expect(ended).toBe(true);
  });

  it("joins a push that spans many messages, with its header split, and delivers it once, intact", () => {
    const mux = new MuxClient(
      () => undefined,
      () => undefined,
    );
    const s = mux.open();
    const got: Buffer[] = [];
    s.onData = (d) => got.push(d);
    const data = Buffer.from(Array.from({ length: 16384 }, (_, i) => i % 251));
    const first = Buffer.concat([Buffer.from("0102004001000000", "hex"), data]); // PSH stream 1, 16384 bytes
    const bytes = Buffer.concat([first, Buffer.from("0102030001000000616263", "hex")]); // PSH stream 1, "abc"
    // As the agent sends them: messages of at most 1024 bytes, then the second frame's header cut in two.
    const cut = first.length + 3;
    for (let i = 0; i < cut; i += 1024) mux.receive(bytes.subarray(i, Math.min(i + 1024, cut)));
    expect(got).toHaveLength(1);
    expect(got[0].equals(data)).toBe(true);
    mux.receive(bytes.subarray(cut));
    expect(got.map((d) => d.length)).toEqual([16384, 3]);
    expect(got[1].toString()).toBe("abc");
  });

  it("reports a byte stream that is not smux v1", () => {
    const errors: string[] = [];
    const mux = new MuxClient(
      () => undefined,
      (m) => errors.push(m),
    );
    mux.receive(Buffer.from("0202000001000000", "hex"));
    expect(errors).toEqual(["smux frame of version 2, expected 1"]);
  });
});
