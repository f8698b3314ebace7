/**
 * Refusals of the SSM data plane, each with its reason, and malformed frames (a bounded fuzz)
 * after which the local cloud, and the very session that received them, still serve the
 * official plugin.
 */
import { createHash, randomBytes } from "node:crypto";
import { TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { WebSocket } from "ws";
import { upgradeAnswer } from "../testing/peers";
import { CRED, NODE, REGION, startSsmTestCloud, type SsmTestCloud } from "./testing/cloud";
import { officialPlugin, runPlugin, type PluginRun } from "./testing/plugin";

let plugin: string;
let t: SsmTestCloud;
const runs: PluginRun[] = [];

beforeAll(async () => {
  plugin = officialPlugin();
  t = await startSsmTestCloud();
});

afterAll(async () => {
  for (const r of runs) r.child.kill("SIGKILL");
  await t.stop();
});

/** The HTTP answer to an upgrade that is refused. */
function upgradeRefusal(url: string, headers: Record<string, string> = {}) {
  const u = new URL(url);
  return upgradeAnswer(u.host, u.pathname + u.search, headers);
}

interface Channel {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a connection and sends `first` (OpenDataChannel JSON text, or anything else). */
async function connectWith(url: string, first: string | Buffer): Promise<Channel> {
  const ws = new WebSocket(url);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(first, { binary: Buffer.isBuffer(first) });
  return { ws, closed };
}

const openDataChannel = (token: string) =>
  JSON.stringify({ MessageSchemaVersion: "1.0", RequestId: "r", TokenValue: token });

/** A well-formed input_stream_data message, built by hand from the layout (not with our codecs). */
function wellFormed(payload: Buffer, sequence: number): Buffer {
  const header = Buffer.alloc(120);
  header.writeUInt32BE(116, 0);
  header.write("input_stream_data".padEnd(32, " "), 4, "ascii");
  header.writeUInt32BE(1, 36);
  header.writeBigUInt64BE(BigInt(Date.now()), 40);
  header.writeBigInt64BE(BigInt(sequence), 48);
  randomBytes(16).copy(header, 64);
  createHash("sha256").update(payload).digest().copy(header, 80);
  header.writeUInt32BE(1, 112);
  header.writeUInt32BE(payload.length, 116);
  return Buffer.concat([header, payload]);
}

describe("SSM data plane refusals", () => {
  it("refuses an unknown session (404), a wrong role (400) and an ended session (410), saying why", async () => {
    const s = await t.start();
    const unknown = s.StreamUrl.replace(s.SessionId, "nobody-0123456789abcdef0");
    expect(await upgradeRefusal(unknown)).toEqual({
      status: 404,
      body: "Session nobody-0123456789abcdef0 does not exist\n",
    });
    expect(await upgradeRefusal(s.StreamUrl.replace("publish_subscribe", "subscribe"))).toEqual({
      status: 400,
      body: "role must be publish_subscribe\n",
    });
    await t.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
    expect(await upgradeRefusal(s.StreamUrl)).toEqual({
      status: 410,
      body: `Session ${s.SessionId} has ended: TerminateSession\n`,
    });
  });

  it("verifies a SigV4 signature on the upgrade when one is sent", async () => {
    const s = await t.start();
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
    const refused = await upgradeRefusal(s.StreamUrl, {
      "X-Amz-Date": amzDate,
      Authorization: `AWS4-HMAC-SHA256 Credential=${CRED.accessKeyId}/${amzDate.slice(0, 8)}/${REGION}/ssmmessages/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(
      /^InvalidSignatureException: The request signature we calculated does not match/,
    );
    const unknownKey = await upgradeRefusal(s.StreamUrl, {
      "X-Amz-Date": amzDate,
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIANOBODY/${amzDate.slice(0, 8)}/${REGION}/ssmmessages/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
    });
    expect(unknownKey).toEqual({
      status: 403,
      body: "UnrecognizedClientException: The security token included in the request is invalid.\n",
    });
  });

  it("closes a connection with a wrong token, or without OpenDataChannel first", async () => {
    const s = await t.start();
    expect(await (await connectWith(s.StreamUrl, openDataChannel("wrong"))).closed).toEqual({
      code: 1008,
      reason: "TokenValue is not valid for this session",
    });
    expect(await (await connectWith(s.StreamUrl, "{}")).closed).toEqual({
      code: 1008,
      reason: "OpenDataChannel has no TokenValue",
    });
    expect(await (await connectWith(s.StreamUrl, wellFormed(Buffer.from("x"), 0))).closed).toEqual({
      code: 1008,
      reason: "OpenDataChannel expected as the first (text) frame",
    });
    expect(await t.status(s.SessionId)).toBe("Connecting");
  });
});

describe("malformed frames (bounded fuzz)", () => {
  it("closes each offending connection with the rule it broke; the session and the local cloud keep working", async () => {
    const s = await t.start();
    const valid = wellFormed(Buffer.from("echo fuzz\r"), 0);
    const mutations: Array<() => Buffer | string> = [
      () => randomBytes(Math.floor(Math.random() * 300)),
      () => valid.subarray(0, Math.floor(Math.random() * valid.length)),
      () => {
        const m = Buffer.from(valid);
        m[120 + Math.floor(Math.random() * (m.length - 120))] ^= 0xff; // breaks the digest
        return m;
      },
      () => {
        const m = Buffer.from(valid);
        m.writeUInt32BE(Math.floor(Math.random() * 0xffffffff), 116); // payload length lies
        return m;
      },
      () => {
        const m = Buffer.from(valid);
        m.writeUInt32BE(117 + Math.floor(Math.random() * 1000), 0); // header length
        return m;
      },
      () => {
        const m = Buffer.from(valid);
        m.write("no_such_message".padEnd(32, " "), 4, "ascii");
        createHash("sha256").update(m.subarray(120)).digest().copy(m, 80);
        return m;
      },
      () => randomBytes(40).toString("base64"), // a text frame after OpenDataChannel
    ];
    const reasons = new Set<string>();
    for (let i = 0; i < 70; i++) {
      const c = await connectWith(s.StreamUrl, openDataChannel(s.TokenValue));
      const bad = mutations[i % mutations.length]();
      c.ws.send(bad, { binary: Buffer.isBuffer(bad) });
      const closed = await c.closed;
      expect(closed.code).toBe(1007);
      reasons.add(closed.reason.replace(/\d+/g, "N"));
    }
    expect([...reasons].sort()).toEqual(
      [
        "Invalid message: text frame after OpenDataChannel",
        'Invalid message: message type "no_such_message" is not one a client sends',
        "Invalid message: payload digest does not match the payload",
        "Invalid message: header length N is not N",
        "Invalid message: payload length N does not match the N bytes that follow the header",
        "Invalid message: frame of N bytes is shorter than the N-byte header",
      ].sort(),
    );
    // The session only disconnected: the official plugin takes it over with the same token.
    expect(await t.status(s.SessionId)).toBe("Disconnected");
    const run = runPlugin({
      plugin,
      endpoint: t.cloud.url,
      region: REGION,
      credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret },
      response: s,
      request: { Target: NODE },
    });
    runs.push(run);
    run.child.stdin.write("echo AFTER$((6*7))\nexit\n");
    await run.waitFor(/AFTER42/);
    expect(await run.exited).toBe(0);
    expect(await t.status(s.SessionId)).toBe("Terminated");
  });
});
