import { SmuxServer, type SmuxServerStream } from "./smux";

// smux v1 frames: version, command (SYN 0, FIN 1, PSH 2, NOP 3), length u16 LE, stream id u32 LE.
const SYN_3 = "0100000003000000";
const PSH_3_HELLO = "0102050003000000" + Buffer.from("hello").toString("hex");
const NOP = "0103000000000000";
const FIN_3 = "0101000003000000";

function rig() {
  const sent: string[] = [];
  const errors: string[] = [];
  const streams: SmuxServerStream[] = [];
  const data: string[] = [];
  let ends = 0;
  const server = new SmuxServer({
    send: (b) => sent.push(b.toString("hex")),
    onStream: (s) => {
      streams.push(s);
      s.events = { onData: (d) => data.push(d.toString("latin1")), onEnd: () => ends++ };
    },
    onProtocolError: (reason) => errors.push(reason),
  });
  return { server, sent, errors, streams, data, ends: () => ends };
}

describe("smux v1 (local cloud, server side)", () => {
  it("accepts a stream, reads data split anywhere, and ends it both ways", () => {
    const r = rig();
    const bytes = Buffer.from(SYN_3 + PSH_3_HELLO + NOP + FIN_3, "hex");
    for (let i = 0; i < bytes.length; i += 3) r.server.feed(bytes.subarray(i, i + 3));
    expect(r.streams.map((s) => s.id)).toEqual([3]);
    expect(r.data.join("")).toBe("hello");
    expect(r.ends()).toBe(1);
    r.streams[0]?.write(Buffer.from("ok"));
    r.streams[0]?.end();
    expect(r.sent).toEqual(["01020200030000006f6b", FIN_3]);
    expect(r.server.openStreams).toBe(0);
  });

  it("joins a push that spans many messages and delivers it once, intact", () => {
    const r = rig();
    const data = Buffer.from(Array.from({ length: 16384 }, (_, i) => i % 251));
    const bytes = Buffer.concat([
      Buffer.from(SYN_3 + "0102004003000000", "hex"),
      data,
      Buffer.from(FIN_3, "hex"),
    ]);
    // As the plugin sends them: messages of at most 1024 bytes.
    for (let i = 0; i < bytes.length; i += 1024) r.server.feed(bytes.subarray(i, i + 1024));
    expect(r.data).toHaveLength(1);
    expect(Buffer.from(r.data[0], "latin1").equals(data)).toBe(true);
    expect(r.ends()).toBe(1);
  });

  it("refuses a SYN or FIN that carries data, and reads nothing after a refusal", () => {
    const syn = rig();
    syn.server.feed(Buffer.from("0100010003000000" + "00" + SYN_3, "hex"));
    expect(syn.errors).toEqual(["smux SYN carries data"]);
    expect(syn.streams).toHaveLength(0);
    const fin = rig();
    fin.server.feed(Buffer.from(SYN_3 + "0101010003000000" + "00", "hex"));
    expect(fin.errors).toEqual(["smux FIN carries data"]);
  });

  it("refuses version 2 and its window-update command", () => {
    const v2 = rig();
    v2.server.feed(Buffer.from("0200000003000000", "hex"));
    expect(v2.errors).toEqual(["smux version 2 is not 1"]);
    const upd = rig();
    upd.server.feed(Buffer.from("0104080003000000" + "00".repeat(8), "hex"));
    expect(upd.errors).toEqual(["smux command 4 is not valid in version 1"]);
  });
});
