/** The local cloud's Session Manager codec against byte fixtures built from the protocol's layout. */
import {
  decodeFrame,
  decodeSetSize,
  encodeFrame,
  FrameFormatError,
  sendRatePayload,
  statusPayload,
} from "./frames";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("ECS data-channel frames (local cloud codec)", () => {
  test("an output frame: 30-byte header with empty ids, then the payload", () => {
    const frame = encodeFrame(1, 7n, Buffer.from("hi"), 0x010203040506);
    expect(frame.toString("hex")).toBe(
      hex(`01000000 312e3031 00 00 0605040302010000 0700000000000000 02000000 6869`).toString("hex"),
    );
  });

  test("a client input frame as ali-instance-cli writes it", () => {
    const bytes = hex(`00000000 312e3031 00 00 0068e5cfbb010000 0300000000000000 03000000 6c730d`);
    const frame = decodeFrame(bytes);
    expect(frame).toMatchObject({ type: 0, sequence: 3n, sessionId: "", instanceId: "" });
    expect(frame.created).toBe(0x01bbcfe56800n);
    expect(frame.payload.toString("latin1")).toBe("ls\r");
  });

  test("ids, when present, shift the fields after them", () => {
    const bytes = hex(
      `02000000 312e3031 03 732d31 02 6939 0068e5cf8b010000 ffffffffffffffff 04000000 18005000`,
    );
    const frame = decodeFrame(bytes);
    expect(frame).toMatchObject({ type: 2, sessionId: "s-1", instanceId: "i9", sequence: -1n });
    expect(frame.created).toBe(1700000000000n);
    expect(decodeSetSize(frame.payload)).toEqual({ rows: 24, cols: 80 });
  });

  test.each([
    ["too short", `00000000 312e3031 00 00`, /at least 30 bytes/],
    [
      "unknown type",
      `04000000 312e3031 00 00 0100000000000000 0000000000000000 00000000`,
      /unknown message type 4/,
    ],
    ["wrong version", `00000000 322e3030 00 00 0100000000000000 0000000000000000 00000000`, /schema version/],
    [
      "created date 0",
      `00000000 312e3031 00 00 0000000000000000 0000000000000000 00000000`,
      /created date is 0/,
    ],
    [
      "length mismatch",
      `00000000 312e3031 00 00 0100000000000000 0000000000000000 05000000 6869`,
      /says 5 bytes.*carries 2/,
    ],
    ["ids overrun", `00000000 312e3031 ff 00 0100000000000000 0000000000000000 00000000`, /overrun/],
  ])("refuses a frame: %s", (_name, bytes, rule) => {
    expect(() => decodeFrame(hex(bytes))).toThrow(FrameFormatError);
    expect(() => decodeFrame(hex(bytes))).toThrow(rule);
  });

  test("status payloads: a closing reason, and the send rate in bits per second, big-endian", () => {
    expect(statusPayload(5, "Exit").toString("hex")).toBe("0545786974");
    // 200 KiB/s = 1 638 400 bit/s = 0x00190000.
    expect(sendRatePayload(200 * 1024).toString("hex")).toBe("0700190000");
  });

  test("set size: JSON from other clients; a zero size is nothing to apply; garbage refused", () => {
    expect(decodeSetSize(Buffer.from('{"cols":120,"rows":40}'))).toEqual({ rows: 40, cols: 120 });
    expect(decodeSetSize(hex("00005000"))).toBeUndefined();
    expect(() => decodeSetSize(Buffer.from("xyz"))).toThrow(/neither 4 bytes nor JSON/);
    expect(() => decodeSetSize(Buffer.from('{"cols":"wide"}'))).toThrow(/integer rows and cols/);
  });
});
