/**
 * Our SSM client against a far end written by hand to misbehave: each bad input ends that one
 * session with a SessionProtocolError naming what was wrong, and the same process then runs a
 * normal session against the local cloud.
 */
import { randomUUID } from "node:crypto";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { PassThrough, Writable } from "node:stream";
import type { WebSocket } from "ws";
import {
  decodeMessage,
  encodeMessage,
  MessageType,
  PayloadType,
  publicationMessage,
  type AgentMessage,
} from "../../emulator/dataplane/ssm/codec";
import { startSsmTestCloud, type SsmTestCloud } from "../../emulator/dataplane/ssm/testing/cloud";
import { protocolFailure, startPeer, type HostilePeer } from "../testing/hostilePeer";
import { EARLY_MAX_BYTES, SsmDataChannel } from "./dataChannel";
import { openShell, runCommand, SessionProtocolError, type SsmSessionOptions } from ".";

let cloud: SsmTestCloud;
beforeAll(async () => {
  cloud = await startSsmTestCloud();
});
afterAll(() => cloud.stop());

/** A normal command session through the same process still works. */
async function normalSessionWorks(): Promise<void> {
  const s = await cloud.start({
    DocumentName: "AWS-StartInteractiveCommand",
    Parameters: { command: ["echo still-$((20+1))"] },
  });
  const result = await runCommand({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue });
  expect(result.output.toString()).toContain("still-21");
}

function message(type: string, sequence: number, payloadType: number, payload: Buffer): Buffer {
  return encodeMessage({
    messageType: type,
    schemaVersion: 1,
    createdDate: Date.now(),
    sequenceNumber: sequence,
    flags: 0,
    messageId: randomUUID(),
    payloadType,
    payload,
  });
}
const output = (sequence: number, payloadType: number, payload: Buffer | string) =>
  message(MessageType.output, sequence, payloadType, Buffer.from(payload));
const HANDSHAKE_REQUEST = JSON.stringify({
  AgentVersion: "3.3.0.0",
  RequestedClientActions: [
    { ActionType: "SessionType", ActionParameters: { SessionType: "Standard_Stream" } },
  ],
});
/** A well-behaved handshake: request (0) and complete (1). */
function handshake(ws: WebSocket): void {
  ws.send(output(0, PayloadType.handshakeRequest, HANDSHAKE_REQUEST));
  ws.send(output(1, PayloadType.handshakeComplete, "{}"));
}

interface Peer extends HostilePeer {
  /** Everything the client sent, decoded. */
  inbound: AgentMessage[];
}

/** A far end that waits for OpenDataChannel, then runs `script`. */
async function peer(script: (ws: WebSocket) => void, options: { autoPong?: boolean } = {}): Promise<Peer> {
  const inbound: AgentMessage[] = [];
  const started = await startPeer(
    "/v1/data-channel/s-hostile?role=publish_subscribe",
    (ws) =>
      ws.on("message", (data: Buffer, isBinary) => {
        if (!isBinary) return script(ws);
        inbound.push(decodeMessage(data));
      }),
    options,
  );
  return { ...started, inbound };
}

const target = (url: string) => ({ streamUrl: url, tokenValue: "t" });
const acks = (p: Peer) =>
  p.inbound
    .filter((m) => m.messageType === MessageType.acknowledge)
    .map(
      (m) =>
        (JSON.parse(m.payload.toString()) as { AcknowledgedMessageSequenceNumber: number })
          .AcknowledgedMessageSequenceNumber,
    );
const until = async (check: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Runs a command session against `p` and returns how it failed. */
const failure = (p: Peer, options: SsmSessionOptions = {}) =>
  protocolFailure(runCommand(target(p.url), options), p);

describe("the SSM client against a hostile far end", () => {
  afterEach(normalSessionWorks);

  test.each([
    [
      "an acknowledge that is not JSON",
      (ws: WebSocket) => ws.send(message(MessageType.acknowledge, 0, 0, Buffer.from("{not json"))),
      "MalformedFrame",
      "(payload: acknowledge is not JSON)",
    ],
    [
      "an acknowledge of JSON null",
      (ws: WebSocket) => ws.send(message(MessageType.acknowledge, 0, 0, Buffer.from("null"))),
      "MalformedFrame",
      "(payload: acknowledge: Invalid input: expected object, received null)",
    ],
    [
      "a HandshakeRequest that is not JSON",
      (ws: WebSocket) => ws.send(output(0, PayloadType.handshakeRequest, "\u0000\u0001")),
      "MalformedFrame",
      "(payload: HandshakeRequest is not JSON)",
    ],
    [
      "a channel_closed of JSON null",
      (ws: WebSocket) => ws.send(message(MessageType.channelClosed, 0, 0, Buffer.from("null"))),
      "MalformedFrame",
      "(payload: channel_closed: Invalid input: expected object, received null)",
    ],
    [
      "an unknown message type",
      (ws: WebSocket) => {
        const frame = message("bogus_type_", 0, 0, Buffer.alloc(0));
        frame[4 + 10] = 0x07; // a control character in the type, printed as "?"
        ws.send(frame);
      },
      "UnexpectedMessage",
      '(message type "bogus_type?")',
    ],
    [
      "HandshakeComplete before HandshakeRequest",
      (ws: WebSocket) => ws.send(output(0, PayloadType.handshakeComplete, "{}")),
      "UnexpectedMessage",
      "(HandshakeComplete before HandshakeRequest)",
    ],
    [
      "a payload length that disagrees with the frame",
      (ws: WebSocket) => {
        const frame = output(0, PayloadType.output, "abc");
        frame.writeUInt32BE(1 << 30, 116);
        ws.send(frame);
      },
      "MalformedFrame",
      "(payloadLength: says 1073741824, frame carries 3)",
    ],
    [
      "a payload that does not match its digest",
      (ws: WebSocket) => {
        const frame = output(0, PayloadType.output, "abc");
        frame[120] ^= 1;
        ws.send(frame);
      },
      "MalformedFrame",
      "(payloadDigest: does not match the payload)",
    ],
    [
      "a frame shorter than a header",
      (ws: WebSocket) => ws.send(Buffer.from("short")),
      "MalformedFrame",
      "(headerLength: frame has 5 bytes, fewer than a header)",
    ],
    [
      "a WebSocket message over 64 KiB",
      (ws: WebSocket) => ws.send(output(0, PayloadType.output, Buffer.alloc(70_000))),
      "FrameTooLarge",
      "(a WebSocket message over 65536 bytes)",
    ],
    [
      "a close in the middle of the session",
      (ws: WebSocket) => {
        handshake(ws);
        setTimeout(() => ws.close(1011, "went away"), 50);
      },
      "UnexpectedClose",
      "(WebSocket close 1011 went away)",
    ],
  ])("%s ends the session", async (_name, script, code, detail) => {
    const err = await failure(await peer(script));
    expect(err.code).toBe(code);
    expect(err.message).toContain(detail);
  });

  test("a far end that never answers the upgrade: HandshakeTimeout", async () => {
    const tcp: TcpServer = createTcpServer(() => undefined);
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const { port } = tcp.address() as AddressInfo;
    try {
      const err = (await runCommand(target(`ws://127.0.0.1:${port}/v1/data-channel/s-1`), {
        handshakeTimeoutMs: 300,
      }).catch((e: unknown) => e)) as SessionProtocolError;
      expect(err).toMatchObject({ name: "SessionProtocolError", code: "HandshakeTimeout" });
      expect(err.message).toContain("(the WebSocket upgrade was not answered in time)");
    } finally {
      tcp.close();
    }
  });

  test("a far end that never sends its handshake: HandshakeTimeout", async () => {
    const err = await failure(await peer(() => undefined), { handshakeTimeoutMs: 300 });
    expect(err.code).toBe("HandshakeTimeout");
    expect(err.message).toContain("(no HandshakeComplete within 300 ms)");
  });

  test("a far end that goes silent and answers no ping: IdleTimeout", async () => {
    const p = await peer(handshake, { autoPong: false });
    const err = await failure(p, { idleTimeoutMs: 300 });
    expect(err.code).toBe("IdleTimeout");
    expect(err.message).toContain("(nothing for 300 ms, pings unanswered)");
  });

  test("a far end that acknowledges nothing: ResendTimeout", async () => {
    // The client's HandshakeResponse is never acknowledged.
    const err = await failure(await peer(handshake), { resendTimeoutMs: 400 });
    expect(err.code).toBe("ResendTimeout");
    expect(err.message).toContain("(message 0 unacknowledged for 400 ms)");
  });

  test("a caller that ignores the pressure and sends past the bound: QueueFull", async () => {
    const p = await peer(handshake);
    try {
      const { channel } = await SsmDataChannel.open(target(p.url), {}, { onMessage: () => undefined });
      channel.send(PayloadType.output, Buffer.alloc(5 * 1024 * 1024));
      const err = (await channel.closed.catch((e: unknown) => e)) as SessionProtocolError;
      expect(err).toMatchObject({ code: "QueueFull" });
      expect(err.message).toContain("(over 4194304 bytes sent and not acknowledged)");
    } finally {
      await p.stop();
    }
  });

  test("out-of-order messages: kept and acknowledged up to the bound, the rest neither", async () => {
    const chunk = Buffer.alloc(60 * 1024, 0x61);
    const kept = Math.floor(EARLY_MAX_BYTES / chunk.length);
    let far!: WebSocket;
    const p = await peer((ws) => {
      far = ws;
      handshake(ws);
      // Sequence 2 is held back: everything after it waits.
      for (let seq = 3; seq < 3 + kept + 4; seq++) ws.send(output(seq, PayloadType.output, chunk));
      ws.send(output(5000, PayloadType.output, "far ahead"));
    });
    try {
      const out = new PassThrough();
      let received = 0;
      out.on("data", (d: Buffer) => (received += d.length));
      const shell = await openShell(target(p.url), { input: new PassThrough(), output: out });
      await until(() => acks(p).includes(3 + kept - 1));
      await new Promise((r) => setTimeout(r, 100));
      expect(acks(p).filter((s) => s >= 2)).toEqual(Array.from({ length: kept }, (_, i) => 3 + i));
      // The missing message comes: what was kept is delivered in order, and the session goes on.
      far.send(output(2, PayloadType.output, "x"));
      await until(() => received === 1 + kept * chunk.length);
      far.send(message(MessageType.channelClosed, 0, 0, Buffer.from("{}")));
      expect((await shell.done).closedBy).toBe("service");
    } finally {
      await p.stop();
    }
  });

  test("pause_publication holds our input until start_publication", async () => {
    let far!: WebSocket;
    const p = await peer((ws) => {
      far = ws;
      handshake(ws);
      ws.send(publicationMessage(MessageType.pausePublication, Date.now()));
    });
    try {
      const input = new PassThrough();
      const shell = await openShell(target(p.url), { input, output: new PassThrough() });
      await new Promise((r) => setTimeout(r, 100));
      input.write("typed while paused");
      await new Promise((r) => setTimeout(r, 300));
      const typed = () =>
        p.inbound.filter(
          (m) => m.payloadType === PayloadType.output && m.payload.toString() === "typed while paused",
        );
      expect(typed()).toHaveLength(0);
      expect(input.isPaused()).toBe(true);
      far.send(publicationMessage(MessageType.startPublication, Date.now()));
      await until(() => typed().length > 0);
      expect(input.isPaused()).toBe(false);
      far.send(message(MessageType.channelClosed, 0, 0, Buffer.from("{}")));
      expect((await shell.done).closedBy).toBe("service");
    } finally {
      await p.stop();
    }
  });

  test("a local output that does not drain stops the reading: the rest stays unacknowledged", async () => {
    const frames = 300;
    const p = await peer((ws) => {
      handshake(ws);
      for (let seq = 2; seq < 2 + frames; seq++) ws.send(output(seq, PayloadType.output, Buffer.alloc(1024)));
    });
    try {
      const callbacks: Array<() => void> = [];
      const slow = new Writable({ highWaterMark: 1024, write: (_c, _e, cb) => callbacks.push(cb) });
      await openShell(target(p.url), { input: new PassThrough(), output: slow });
      await new Promise((r) => setTimeout(r, 300));
      const before = acks(p).filter((s) => s >= 2).length;
      // What one read of the socket brought at most; the rest waits in the network.
      expect(before).toBeLessThan(64);
      // Let it drain: every message is then read and acknowledged.
      slow._write = (_c, _e, cb) => cb();
      for (const cb of callbacks.splice(0)) cb();
      await until(() => acks(p).filter((s) => s >= 2).length === frames);
    } finally {
      await p.stop();
    }
  });
});
