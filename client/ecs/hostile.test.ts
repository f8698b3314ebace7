/**
 * Our ECS client against a far end written by hand to misbehave: each bad input ends that one
 * channel with a SessionProtocolError naming what was wrong, and the same process then runs a
 * normal session against the local cloud.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { connect as tcpConnect, createServer as createTcpServer, type AddressInfo } from "node:net";
import type { WebSocket } from "ws";
import { encodeFrame } from "../../emulator/dataplane/ecs/frames";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "../../emulator/testing/alibaba";
import { protocolFailure, startPeer } from "../testing/hostilePeer";
import { forwardPort, runCommand, SessionProtocolError } from ".";

const REGION = "cn-hangzhou";
let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [TEST_CREDENTIAL],
    ecs: { instances: [{ instanceId: "i-hostile", regionId: REGION }] },
  });
});
afterAll(() => cloud.stop());

/** A normal command session through the same process still works. */
async function normalSessionWorks(): Promise<void> {
  const r = await callRpc(openApiClient(cloud), "StartTerminalSession", {
    RegionId: REGION,
    InstanceId: ["i-hostile"],
    CommandLine: "echo still-$((20+1))",
  });
  const result = await runCommand((r.body as unknown as { WebSocketUrl: string }).WebSocketUrl);
  expect(result.output.toString()).toContain("still-21");
}

const OUTPUT = 1;
const STATUS = 5;
const frame = (type: number, payload: Buffer | string) => encodeFrame(type, 0n, Buffer.from(payload));

const peer = (script: (ws: WebSocket) => void, options: { autoPong?: boolean } = {}) =>
  startPeer("/session?sessionId=s-hostile&token=t", script, options);

async function failure(script: (ws: WebSocket) => void, options: object = {}, autoPong = true) {
  const p = await peer(script, { autoPong });
  return protocolFailure(runCommand(p.url, options), p);
}

describe("the ECS client against a hostile far end", () => {
  afterEach(normalSessionWorks);

  test.each([
    [
      "a send-rate status with no value",
      (ws: WebSocket) => ws.send(frame(STATUS, Buffer.from([7]))),
      "MalformedFrame",
      "(a send rate has 1 to 4 bytes)",
    ],
    [
      "a send-rate status of 5 bytes",
      (ws: WebSocket) => ws.send(frame(STATUS, Buffer.from([7, 1, 2, 3, 4, 5]))),
      "MalformedFrame",
      "(a send rate has 1 to 4 bytes)",
    ],
    [
      "a status with no code",
      (ws: WebSocket) => ws.send(frame(STATUS, "")),
      "MalformedFrame",
      "(a status message has no code)",
    ],
    [
      "bytes that are not a message",
      (ws: WebSocket) => ws.send(Buffer.from("garbage")),
      "MalformedFrame",
      "(a message has at least 30 bytes; this one has 7)",
    ],
    [
      "a payload length past the end",
      (ws: WebSocket) => {
        const bytes = frame(OUTPUT, "abc");
        bytes.writeUInt32LE(0xffffffff, 26);
        ws.send(bytes);
      },
      "MalformedFrame",
      "(the payload length (4294967295) does not match the 3 bytes sent)",
    ],
    [
      "a message type the far end never sends",
      (ws: WebSocket) => ws.send(frame(9, "x")),
      "UnexpectedMessage",
      "(message type 9)",
    ],
    [
      "a text message",
      (ws: WebSocket) => ws.send("hello"),
      "UnexpectedMessage",
      "(a text WebSocket message)",
    ],
    [
      "a WebSocket message over 64 KiB",
      (ws: WebSocket) => ws.send(frame(OUTPUT, Buffer.alloc(70_000))),
      "FrameTooLarge",
      "(a WebSocket message over 65536 bytes)",
    ],
    [
      "a connection dropped without a close frame",
      (ws: WebSocket) => setTimeout(() => ws.terminate(), 50),
      "UnexpectedClose",
      "(the connection dropped without a close frame)",
    ],
  ])("%s ends the session", async (_name, script, code, detail) => {
    const err = await failure(script);
    expect(err.code).toBe(code);
    expect(err.message).toContain(detail);
  });

  test("a far end that never answers the upgrade: HandshakeTimeout", async () => {
    const tcp = createTcpServer(() => undefined);
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const { port } = tcp.address() as AddressInfo;
    try {
      const err = (await runCommand(`ws://127.0.0.1:${port}/session`, { handshakeTimeoutMs: 300 }).catch(
        (e: unknown) => e,
      )) as SessionProtocolError;
      expect(err).toMatchObject({ name: "SessionProtocolError", code: "HandshakeTimeout" });
      expect(err.message).toContain("(the WebSocket upgrade was not answered in time)");
    } finally {
      tcp.close();
    }
  });

  test("a far end that goes silent and answers no ping: IdleTimeout", async () => {
    const err = await failure(() => undefined, { idleTimeoutMs: 300 }, false);
    expect(err.code).toBe("IdleTimeout");
    expect(err.message).toContain("(nothing for 300 ms, pings unanswered)");
  });

  test("a forward: the broken connection ends with the error, the forward keeps listening", async () => {
    const p = await peer((ws) => ws.send(frame(STATUS, Buffer.from([7]))));
    const errors: unknown[] = [];
    const fwd = await forwardPort(p.url, { onConnectionError: (e) => errors.push(e) });
    try {
      const closed = new Promise<void>((resolve) => {
        const socket = tcpConnect(fwd.port, "127.0.0.1");
        socket.on("error", () => undefined);
        socket.on("close", () => resolve());
      });
      await closed;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ name: "SessionProtocolError", code: "MalformedFrame" });
      // The listener is still there for the next connection.
      await new Promise<void>((resolve, reject) => {
        const again = tcpConnect(fwd.port, "127.0.0.1", () => {
          again.destroy();
          resolve();
        });
        again.on("error", reject);
      });
    } finally {
      await fwd.close();
      await p.stop();
    }
  });
});
