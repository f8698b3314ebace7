import {
  HEADER_LENGTH,
  MalformedMessage,
  acknowledgeMessage,
  acknowledgedSequence,
  channelClosedMessage,
  decodeMessage,
  encodeMessage,
  outputMessage,
  parseOpenDataChannel,
  uuidFromWire,
  uuidToWire,
} from "./codec";

// One keystroke message ("ls\r", sequence 7) laid out field by field from the plugin's layout.
const FIXTURE_HEX = [
  "00000074", // header length 116
  Buffer.from("input_stream_data".padEnd(32, " "), "ascii").toString("hex"),
  "00000001", // schema version
  "0000018c471afc00", // created date 1702000000000 ms
  "0000000000000007", // sequence number
  "0000000000000000", // flags
  "99aabbccddeeff00" + "1122334455667788", // 11223344-5566-7788-99aa-bbccddeeff00, low half first
  "1d887ce0f8672e4914d9000e801cd74ecd805dd9366c0bc42dc16adc0197dc2f", // sha256("ls\r")
  "00000001", // payload type: output
  "00000003", // payload length
  "6c730d", // "ls\r"
].join("");
const FIXTURE = Buffer.from(FIXTURE_HEX, "hex");
const FIXTURE_MESSAGE = {
  messageType: "input_stream_data",
  schemaVersion: 1,
  createdDate: 1702000000000,
  sequenceNumber: 7,
  flags: 0,
  messageId: "11223344-5566-7788-99aa-bbccddeeff00",
  payloadType: 1,
  payload: Buffer.from("ls\r"),
};

describe("SSM data-channel codec (local cloud)", () => {
  it("encodes a message byte for byte as the published layout says", () => {
    expect(FIXTURE.length).toBe(HEADER_LENGTH + 4 + 3);
    expect(encodeMessage(FIXTURE_MESSAGE).toString("hex")).toBe(FIXTURE_HEX);
  });

  it("decodes the fixture back to its fields", () => {
    expect(decodeMessage(FIXTURE)).toEqual(FIXTURE_MESSAGE);
  });

  it("stores a UUID low half first", () => {
    expect(uuidToWire("00112233-4455-6677-8899-aabbccddeeff").toString("hex")).toBe(
      "8899aabbccddeeff0011223344556677",
    );
    expect(uuidFromWire(Buffer.from("8899aabbccddeeff0011223344556677", "hex"))).toBe(
      "00112233-4455-6677-8899-aabbccddeeff",
    );
  });

  it("names the rule a malformed frame breaks", () => {
    const reason = (frame: Buffer): string => {
      try {
        decodeMessage(frame);
        return "accepted";
      } catch (e) {
        return e instanceof MalformedMessage ? e.reason : "other error";
      }
    };
    expect(reason(FIXTURE.subarray(0, 50))).toMatch(/shorter than the 120-byte header/);
    const badDigest = Buffer.from(FIXTURE);
    badDigest[FIXTURE.length - 1] = 0x0a;
    expect(reason(badDigest)).toMatch(/digest does not match/);
    const badLength = Buffer.from(FIXTURE);
    badLength.writeUInt32BE(9, 116);
    expect(reason(badLength)).toMatch(/payload length 9/);
    const badHeader = Buffer.from(FIXTURE);
    badHeader.writeUInt32BE(100, 0);
    expect(reason(badHeader)).toMatch(/header length 100/);
    const noDate = Buffer.from(FIXTURE);
    noDate.fill(0, 40, 48);
    expect(reason(noDate)).toMatch(/created date is zero/);
  });

  it("acknowledges with the JSON the plugin reads, and reads the plugin's acknowledgements", () => {
    const ack = decodeMessage(acknowledgeMessage(FIXTURE_MESSAGE, 1702000000001));
    expect(ack.messageType).toBe("acknowledge");
    expect(ack.flags).toBe(3);
    // Byte for byte what JSON.stringify of the agent's AcknowledgeContent writes, keys in its order.
    expect(ack.payload.toString()).toBe(
      JSON.stringify({
        AcknowledgedMessageType: "input_stream_data",
        AcknowledgedMessageId: "11223344-5566-7788-99aa-bbccddeeff00",
        AcknowledgedMessageSequenceNumber: 7,
        IsSequentialMessage: true,
      }),
    );
    expect(acknowledgedSequence(ack)).toBe(7);
  });

  it("gives every message a fresh version 4 UUID, and writes large and negative numbers as the layout says", () => {
    const ids = new Set<string>();
    for (let sequence = 0; sequence < 600; sequence++) {
      const m = decodeMessage(outputMessage(sequence, 1, Buffer.from("x"), 1702000000000));
      expect(m.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(m).toMatchObject({
        sequenceNumber: sequence,
        flags: sequence === 0 ? 1 : 0,
        createdDate: 1702000000000,
      });
      ids.add(m.messageId);
    }
    expect(ids.size).toBe(600);
    for (const sequenceNumber of [2 ** 32 + 7, 2 ** 53 - 1, -1, -(2 ** 40)]) {
      const frame = encodeMessage({ ...FIXTURE_MESSAGE, sequenceNumber, flags: 2 ** 33 });
      expect(frame.readBigInt64BE(48)).toBe(BigInt(sequenceNumber));
      expect(frame.readBigUInt64BE(56)).toBe(2n ** 33n);
      expect(decodeMessage(frame)).toMatchObject({ sequenceNumber, flags: 2 ** 33 });
    }
    expect(() => encodeMessage({ ...FIXTURE_MESSAGE, messageType: "x".repeat(33) })).toThrow(RangeError);
  });

  it("closes the channel with the plugin's ChannelClosed fields", () => {
    const m = decodeMessage(channelClosedMessage("s-1", "i-1", "", 1702000000000));
    expect(m.messageType).toBe("channel_closed");
    expect(JSON.parse(m.payload.toString())).toMatchObject({
      SessionId: "s-1",
      DestinationId: "i-1",
      Output: "",
      SchemaVersion: 1,
    });
  });

  it("requires a TokenValue in OpenDataChannel", () => {
    expect(parseOpenDataChannel('{"MessageSchemaVersion":"1.0","TokenValue":"t"}').TokenValue).toBe("t");
    expect(() => parseOpenDataChannel("{}")).toThrow(/no TokenValue/);
    expect(() => parseOpenDataChannel("nope")).toThrow(/not JSON/);
  });
});
