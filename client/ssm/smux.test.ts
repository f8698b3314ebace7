/** The client's smux v1 frames, as the agent reads them. */
import { randomBytes } from "node:crypto";
import { MuxClient } from "./smux";

/** Frames in `bytes`: [command, stream id, data]. */
function frames(bytes: Buffer): Array<[number, number, Buffer]> {
  const out: Array<[number, number, Buffer]> = [];
  for (let at = 0; at < bytes.length;) {
    expect(bytes[at]).toBe(1);
    const length = bytes.readUInt16LE(at + 2);
    out.push([bytes[at + 1], bytes.readUInt32LE(at + 4), bytes.subarray(at + 8, at + 8 + length)]);
    at += 8 + length;
  }
  return out;
}

test("a write leaves as one piece of Push frames of at most 16 KiB, its bytes whole and in order", () => {
  const sent: Buffer[] = [];
  const mux = new MuxClient(
    (bytes) => sent.push(bytes),
    (why) => {
      throw new Error(why);
    },
  );
  const stream = mux.open();
  expect(frames(sent[0])).toEqual([[0, 1, Buffer.alloc(0)]]); // SYN of stream 1
  const data = randomBytes(40_000);
  stream.write(data);
  stream.write(Buffer.alloc(0));
  expect(sent).toHaveLength(2);
  const pushed = frames(sent[1]);
  expect(pushed.map(([command, id, d]) => [command, id, d.length])).toEqual([
    [2, 1, 16384],
    [2, 1, 16384],
    [2, 1, 7232],
  ]);
  expect(Buffer.concat(pushed.map(([, , d]) => d)).equals(data)).toBe(true);
  stream.end();
  expect(frames(sent[2])).toEqual([[1, 1, Buffer.alloc(0)]]); // FIN
});
