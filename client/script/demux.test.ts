/** The output demultiplexer and the payload encoder, without a session. */
import { READY } from "./bootstrap";
import { OutputDemux, PREAMBLE_MAX_BYTES } from "./demux";
import { ScriptError } from "./errors";
import { encodePayload, environmentFile } from "./payload";

const NONCE = "0123456789abcdef0123456789abcdef";

function read(stream: Buffer, pieceSize: number) {
  const seen = { ready: 0, stdout: [] as Buffer[], stderr: [] as Buffer[], exit: -1, error: "" };
  const demux = new OutputDemux(NONCE, {
    onReady: () => seen.ready++,
    onStdout: (c) => seen.stdout.push(c),
    onStderr: (c) => seen.stderr.push(c),
    onExit: (code) => (seen.exit = code),
    onProtocolError: (reason) => (seen.error = reason),
  });
  for (let at = 0; at < stream.length; at += pieceSize) demux.feed(stream.subarray(at, at + pieceSize));
  return { ...seen, stdout: Buffer.concat(seen.stdout), stderr: Buffer.concat(seen.stderr) };
}

describe("OutputDemux", () => {
  const stdout = Buffer.from(`out \x1e${NONCE.slice(0, 8)} not a marker \x1e\x00\xff\n`, "latin1");
  const stderr = Buffer.from("err\x1e\n", "latin1");
  const stream = Buffer.concat([
    Buffer.from(`stty noise${READY}`, "latin1"),
    stdout,
    Buffer.from(`\x1e${NONCE}:e\x1e${stderr.toString("base64")}\n\x1e${NONCE}:42\x1e`, "latin1"),
  ]);

  test.each([1, 2, 7, 33, 1024])("reads the same whatever the chunking (%i bytes a piece)", (size) => {
    const seen = read(stream, size);
    expect(seen).toMatchObject({ ready: 1, exit: 42, error: "" });
    expect(seen.stdout.equals(stdout)).toBe(true);
    expect(seen.stderr.equals(stderr)).toBe(true);
  });

  test("a far end that never gets ready is a protocol error", () => {
    expect(read(Buffer.alloc(PREAMBLE_MAX_BYTES + 2, "x"), 4096).error).toMatch(/no ready marker/);
  });

  test("a trailer without an exit code is a protocol error", () => {
    expect(read(Buffer.from(`${READY}\x1e${NONCE}:oops\x1e`, "latin1"), 5).error).toMatch(/"oops"/);
  });
});

describe("payload", () => {
  test("the environment is quoted for the shell; bad names and NUL values are refused", () => {
    expect(environmentFile({ A: "it's $x" }).toString()).toBe("export A='it'\\''s $x'\n");
    expect(() => environmentFile({ "1A": "v" })).toThrow(ScriptError);
    expect(() => environmentFile({ "A=B": "v" })).toThrow(/not a shell variable name/);
    expect(() => environmentFile({ A: "a\0b" })).toThrow(/NUL/);
  });

  test("parts are base64 in short lines, each ended by ^D at a line's start", () => {
    const bytes = encodePayload({
      script: Buffer.alloc(200, 1),
      environment: {},
      stdin: Buffer.alloc(0),
      nonce: NONCE,
      separateStderr: true,
    }).toString("latin1");
    expect(bytes.startsWith(`${NONCE} s\n`)).toBe(true);
    expect(bytes.split("\n").every((line) => line.length <= 76)).toBe(true);
    expect(bytes.split("\n\u0004")).toHaveLength(4);
  });
});
