/**
 * Hostile peers against the SSM data plane: each case gets its reason, and the same process (the
 * same data plane) serves a normal session right after. No official plugin here: a hand-written
 * client misbehaves on purpose.
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { closeTcpServers, plateau, pusher, tcpServer, upgradeAnswer } from "../testing/peers";
import { startSsmTestCloud, type SsmTestCloud } from "./testing/cloud";
import { startTestPlane, type TestPlane } from "./testing/plane";
import { RawSsmClient, rawFrame } from "./testing/rawClient";

afterAll(closeTcpServers);

/** Bytes in, the same bytes back: proves a session works. */
async function echoRoundTrip(client: RawSsmClient): Promise<void> {
  await client.handshake();
  const marker = `ping-${randomBytes(4).toString("hex")}`;
  client.input(1, Buffer.from(marker));
  await client.next(() => client.output().includes(marker));
}

const upgradeRefusal = (streamUrl: string, path: string) => upgradeAnswer(new URL(streamUrl).host, path);

describe("SSM data plane in the local cloud, against hostile bytes", () => {
  let t: SsmTestCloud;
  let echoPort: number;
  const sshSession = () =>
    t.start({ DocumentName: "AWS-StartSSHSession", Parameters: { portNumber: [String(echoPort)] } });
  const normalSession = async () => {
    const s = await sshSession();
    await echoRoundTrip(await RawSsmClient.open(s.StreamUrl, s.TokenValue));
  };

  beforeAll(async () => {
    t = await startSsmTestCloud();
    echoPort = t.echoPort;
  });
  afterAll(() => t.stop());

  it("refuses upgrade paths that do not decode (400, with the reason) and `//` (404); the process goes on", async () => {
    const s = await sshSession();
    expect(await upgradeRefusal(s.StreamUrl, "/v1/data-channel/%?role=publish_subscribe")).toEqual({
      status: 400,
      body: "The session id in the path is not valid percent-encoding\n",
    });
    expect(await upgradeRefusal(s.StreamUrl, "/v1/data-channel/%E0%A4%A?role=publish_subscribe")).toEqual({
      status: 400,
      body: "The session id in the path is not valid percent-encoding\n",
    });
    expect((await upgradeRefusal(s.StreamUrl, "//")).status).toBe(404);
    await echoRoundTrip(await RawSsmClient.open(s.StreamUrl, s.TokenValue));
  });

  it.each([
    [
      "HandshakeResponse",
      "null",
      "HandshakeResponse is not an object whose ProcessedClientActions list ActionType and ActionStatus",
    ],
    [
      "HandshakeResponse",
      '{"ProcessedClientActions":[{"ActionType":7}]}',
      "HandshakeResponse is not an object whose ProcessedClientActions list ActionType and ActionStatus",
    ],
    ["HandshakeResponse", "[1,2", "HandshakeResponse is not JSON"],
  ])("a %s payload of %s closes that connection (1007) with the reason", async (_what, payload, reason) => {
    const s = await sshSession();
    const c = await RawSsmClient.open(s.StreamUrl, s.TokenValue);
    await c.next((m) => m.payloadType === 5);
    c.input(6, Buffer.from(payload));
    expect(await c.closed).toEqual({ code: 1007, reason: `Invalid message: ${reason}` });
    expect(await t.status(s.SessionId)).toBe("Disconnected");
    await normalSession();
  });

  it.each([["null"], ['"80x24"'], ['{"cols":"80","rows":24}']])(
    "a Size payload of %s closes that connection (1007) with the reason",
    async (payload) => {
      const s = await sshSession();
      const c = await RawSsmClient.open(s.StreamUrl, s.TokenValue);
      await c.handshake();
      c.input(3, Buffer.from(payload));
      expect(await c.closed).toEqual({
        code: 1007,
        reason: "Invalid message: size payload is not an object with numeric cols and rows",
      });
      await normalSession();
    },
  );

  it("an unknown message type closes that connection (1007) naming it", async () => {
    const s = await sshSession();
    const c = await RawSsmClient.open(s.StreamUrl, s.TokenValue);
    await c.handshake();
    c.send(rawFrame("open_sesame", 1, 1, Buffer.from("x")));
    expect(await c.closed).toEqual({
      code: 1007,
      reason: 'Invalid message: message type "open_sesame" is not one a client sends',
    });
    await normalSession();
  });

  it("a message over 16 KiB is refused unread: close 1009", async () => {
    const s = await sshSession();
    const c = await RawSsmClient.open(s.StreamUrl, s.TokenValue);
    await c.handshake();
    c.send(Buffer.alloc(16 * 1024 + 1));
    expect((await c.closed).code).toBe(1009);
    // Only the connection went: the same session is taken over with the same token.
    await c.ws.terminate();
    const again = await RawSsmClient.open(s.StreamUrl, s.TokenValue);
    const marker = "still-there";
    again.input(1, Buffer.from(marker), 1);
    await again.next(() => again.output().includes(marker));
  });
});

describe("SSM data plane limits (small ones, set for the test)", () => {
  let p: TestPlane;
  let echoPort: number;
  const echoSession = () => p.session({ kind: "port", port: echoPort, localPortForwarding: false });
  const normalSession = async () => {
    const s = echoSession();
    await echoRoundTrip(await RawSsmClient.open(s.url, s.token));
  };

  beforeAll(async () => {
    echoPort = await tcpServer((s) => s.pipe(s));
    p = await startTestPlane({
      outOfOrderBytes: 4096,
      acknowledgeTimeoutMs: 600,
      handshakeTimeoutMs: 600,
      drainMs: 100,
      sendMarks: { high: 64 * 1024, low: 16 * 1024 },
    });
  });
  afterAll(() => p.stop());

  it("a full out-of-order queue ends the session with the reason", async () => {
    const s = echoSession();
    const c = await RawSsmClient.open(s.url, s.token);
    await c.handshake();
    // Message 1 never comes; 2, 3, 4, 5 (1000 bytes each) wait for it, beyond 4096 bytes.
    for (let seq = 2; seq <= 5; seq++) c.input(1, Buffer.alloc(1000, 0x61), seq);
    const reason = "OutOfOrderQueueFull: more than 4096 bytes wait for message 1";
    expect(await c.channelClosed()).toBe(reason);
    expect(await c.closed).toEqual({ code: 1000, reason: `Session ended: ${reason}` });
    expect(s.states).toContain(`Terminated/${reason}`);
    await normalSession();
  });

  it("the resend loop gives up on a client that acknowledges nothing, and ends the session", async () => {
    const s = echoSession();
    const c = await RawSsmClient.open(s.url, s.token);
    await c.handshake();
    c.autoAck = false;
    c.input(1, Buffer.from("echo me"));
    const reason = "AcknowledgeTimeout: a message stayed unacknowledged for 0.6 s";
    expect(await c.channelClosed()).toBe(reason);
    expect(await c.closed).toEqual({ code: 1000, reason: `Session ended: ${reason}` });
    // The echo was resent meanwhile (same sequence number, more than once), then given up.
    const echoes = c.received.filter((m) => m.payloadType === 1 && m.payload.toString() === "echo me");
    expect(echoes.length).toBeGreaterThan(1);
    expect(new Set(echoes.map((m) => m.sequence)).size).toBe(1);
    await normalSession();
  });

  it("a client that never answers the HandshakeRequest: the session ends with HandshakeTimeout", async () => {
    const s = echoSession();
    const c = await RawSsmClient.open(s.url, s.token);
    const reason = "HandshakeTimeout: no HandshakeResponse within 0.6 s";
    expect(await c.channelClosed()).toBe(reason);
    expect(await c.closed).toEqual({ code: 1000, reason: `Session ended: ${reason}` });
    await normalSession();
  });

  it("something failing unexpectedly ends that session alone: channel_closed and 1011 InternalError", async () => {
    const s = p.session({ kind: "port", port: echoPort, localPortForwarding: false }, () => {
      throw new Error("backend bug");
    });
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const c = await RawSsmClient.open(s.url, s.token);
      const text = "InternalError: the local cloud failed serving this session";
      expect(await c.channelClosed()).toBe(text);
      expect(await c.closed).toEqual({ code: 1011, reason: text });
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0][0])).toBe(
        `[local-cloud] SSM session ${s.sessionId}: Error: backend bug`,
      );
      expect(String(errors.mock.calls[0][0])).not.toContain(s.token);
    } finally {
      errors.mockRestore();
    }
    expect(s.states).toContain("Terminated/InternalError");
    await normalSession();
  });

  it("a client that reads nothing: the far end is paused, far short of the 64 MB it offers", async () => {
    const source = pusher(64 * 1024 * 1024);
    const sourcePort = await tcpServer(source.onSocket);
    const s = p.session({ kind: "port", port: sourcePort, localPortForwarding: false });
    const c = await RawSsmClient.open(s.url, s.token);
    await c.handshake();
    c.ws.pause(); // reads (and acknowledges) nothing from now on
    const stalled = await plateau(source.accepted);
    // Kernel socket buffers on both hops hold some MB; the local cloud itself holds ~1 window.
    expect(stalled).toBeLessThan(24 * 1024 * 1024);
    c.ws.terminate();
    await normalSession();
  });

  it("a far end that reads nothing: the client is told pause_publication and its input is not acknowledged", async () => {
    let held: Socket | undefined;
    const sinkPort = await tcpServer((socket) => {
      socket.pause(); // takes nothing
      held = socket;
    });
    const s = p.session({ kind: "port", port: sinkPort, localPortForwarding: false });
    const c = await RawSsmClient.open(s.url, s.token);
    await c.handshake();
    const chunk = Buffer.alloc(1024, 0x63);
    let sent = 0;
    while (!c.received.some((m) => m.type === "pause_publication") && sent < 64 * 1024) {
      c.input(1, chunk);
      sent++;
      if (sent % 256 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    await c.next((m) => m.type === "pause_publication");
    const acked = () => c.received.filter((m) => m.type === "acknowledge").length;
    const before = acked();
    await new Promise((r) => setTimeout(r, 200));
    expect(acked()).toBe(before); // nothing more taken
    expect(before).toBeLessThan(sent);
    // The far end reads again: start_publication.
    held?.resume();
    await c.next((m) => m.type === "start_publication");
    c.ws.terminate();
    await normalSession();
  });
});
