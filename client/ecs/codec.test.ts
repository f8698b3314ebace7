/** Our client's Session Manager codec against byte fixtures written by hand from the layout. */
import {
  CLOSE_PAYLOAD,
  EcsCodecError,
  EcsMessageType,
  parseMessage,
  parseStatus,
  serializeMessage,
  sizePayload,
} from "./codec";

const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("ECS Session Manager messages (client codec)", () => {
  test("input: the 30-byte header the official client writes", () => {
    const msg = serializeMessage(EcsMessageType.InputStream, 0n, Buffer.from("echo\r"), 1700000000000);
    expect(msg.toString("hex")).toBe(
      bytes(`00000000 312e3031 0000 0068e5cf8b010000 0000000000000000 05000000 6563686f0d`).toString("hex"),
    );
  });

  test("keep-alive: an input message with no payload, as the official client sends every 60 s", () => {
    const msg = serializeMessage(EcsMessageType.InputStream, 7n, new Uint8Array(0), 1);
    expect(msg.toString("hex")).toBe(
      bytes(`00000000 312e3031 0000 0100000000000000 0700000000000000 00000000`).toString("hex"),
    );
  });

  test("set size (rows 24, cols 80) and close ('1')", () => {
    expect(sizePayload(24, 80).toString("hex")).toBe("18005000");
    const close = serializeMessage(EcsMessageType.CloseChannel, 2n, CLOSE_PAYLOAD, 1);
    expect(close.toString("hex")).toBe(
      bytes(`03000000 312e3031 0000 0100000000000000 0200000000000000 01000000 31`).toString("hex"),
    );
  });

  test("output from the far end, with or without ids", () => {
    const bare = parseMessage(
      bytes(`01000000 312e3031 0000 0100000000000000 0900000000000000 02000000 0d0a`),
    );
    expect(bare).toMatchObject({ type: 1, sequence: 9n, createdMs: 1n });
    expect(bare.payload.toString("latin1")).toBe("\r\n");
    const withIds = parseMessage(
      bytes(`01000000 312e3031 02 7331 01 69 0200000000000000 0100000000000000 01000000 41`),
    );
    expect(withIds).toMatchObject({ type: 1, sequence: 1n, createdMs: 2n });
    expect(withIds.payload.toString("latin1")).toBe("A");
  });

  test.each([
    ["short", `01000000 312e3031`],
    ["no created date", `01000000 312e3031 0000 0000000000000000 0000000000000000 00000000`],
    ["length disagrees", `01000000 312e3031 0000 0100000000000000 0000000000000000 09000000 41`],
  ])("rejects a message: %s", (_name, hex) => {
    expect(() => parseMessage(bytes(hex))).toThrow(EcsCodecError);
  });

  test("status: closed with a reason, connect failed, and the send rate", () => {
    expect(parseStatus(bytes("05 4167656e7454696d656f7574"))).toEqual({
      code: 5,
      reason: "AgentTimeout",
    });
    expect(parseStatus(Buffer.from("\x02SessionCountExceedLimit", "latin1"))).toEqual({
      code: 2,
      reason: "SessionCountExceedLimit",
    });
    expect(parseStatus(bytes("07 00190000"))).toEqual({ code: 7, bitsPerSecond: 1638400 });
    expect(() => parseStatus(Buffer.alloc(0))).toThrow(EcsCodecError);
  });
});
