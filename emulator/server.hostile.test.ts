/**
 * Hostile peers against the HTTP server, by hand over node:net: bad upgrade paths, SigV4 header
 * names from the prototype, oversized and slow requests, too many connections, resets in the
 * middle of a refusal. Each gets its status and reason; the same process then still serves the
 * official SDKs and a whole ECS session.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";
process.env.AWS_EC2_METADATA_DISABLED = "true";

import { DescribeSessionsCommand } from "@aws-sdk/client-ssm";
import { runCommand } from "../client/ecs/shell";
import { DEFAULT_LIMITS } from "./limits";
import { formatAmzDate } from "./protocol/sigv4";
import { startLocalCloud, type LocalCloud } from "./server";
import type { LocalCloudConfigInput } from "./config";
import { callRpc, openApiClient, TEST_CREDENTIAL } from "./testing/alibaba";
import { ssmClient } from "./testing/aws";
import { exchange, openRaw, parseAnswer, upgradeRequest } from "./testing/rawHttp";

const REGION = "cn-hangzhou";
const INSTANCE = "i-hostile";

function start(limits: LocalCloudConfigInput["limits"] = {}) {
  const lines: string[] = [];
  const cloud = startLocalCloud(
    {
      credentials: [TEST_CREDENTIAL],
      ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
      limits,
    },
    { log: (line) => lines.push(line) },
  );
  return { cloud, lines };
}

/** Both control-plane protocols through the official SDKs. */
async function stillServesApis(cloud: LocalCloud): Promise<void> {
  const described = await ssmClient(cloud, { maxAttempts: 1 }).send(
    new DescribeSessionsCommand({ State: "Active" }),
  );
  expect(described.$metadata.httpStatusCode).toBe(200);
  const ecs = await callRpc(openApiClient(cloud), "DescribeTerminalSessions", { RegionId: REGION });
  expect(ecs.statusCode).toBe(200);
}

/** A whole ECS session: started through the SDK, run over the data plane by our client. */
async function stillServesSession(cloud: LocalCloud): Promise<void> {
  const started = await callRpc(openApiClient(cloud), "StartTerminalSession", {
    RegionId: REGION,
    InstanceId: [INSTANCE],
    CommandLine: "echo still-serving",
  });
  const result = await runCommand(String(started.body.WebSocketUrl));
  expect(result.output.toString("utf8")).toBe("still-serving\r\n");
}

/** Resolves once a new connection is no longer refused (the server has seen the others close). */
async function untilAccepted(port: number): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const probe = await openRaw(port);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = probe.received().startsWith("HTTP/1.1 503");
    probe.socket.destroy();
    if (!refused) return;
  }
  throw new Error("connections stayed refused");
}

describe("with the default limits", () => {
  let cloud: LocalCloud;
  let lines: string[];
  beforeAll(async () => {
    const started = start();
    lines = started.lines;
    cloud = await started.cloud;
  });
  afterAll(() => cloud.stop());

  test.each(["/v1/data-channel/%", "/v1/data-channel/%E0%A4%A", "//", "//x/y", "/session?sessionId=%"])(
    "an upgrade to %s without any credential is refused with one line; the process serves on",
    async (path) => {
      const answer = await exchange(cloud.port, upgradeRequest(cloud.port, path));
      // 400 (the path cannot be read) or 404 (no endpoint there): never a crash, never silence.
      expect([400, 404]).toContain(answer.status);
      expect(answer.body).toMatch(/^[^\n]+\n?$/);
      await stillServesApis(cloud);
    },
  );

  test.each(["constructor;host;x-amz-date", "__proto__;hasOwnProperty;host;x-amz-date", "constructor"])(
    "a signed upgrade naming SignedHeaders=%s with a known key is refused 403 with AWS's code",
    async (signedHeaders) => {
      const amzDate = formatAmzDate(new Date());
      const answer = await exchange(
        cloud.port,
        upgradeRequest(cloud.port, "/v1/data-channel/s-unknown?role=publish_subscribe", {
          "X-Amz-Date": amzDate,
          Authorization:
            `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIAL.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/` +
            `ssmmessages/aws4_request, SignedHeaders=${signedHeaders}, Signature=${"0".repeat(64)}`,
        }),
      );
      expect(answer.status).toBe(403);
      expect(answer.body).toMatch(/InvalidSignatureException/);
      await stillServesApis(cloud);
    },
  );

  test("headers over maxHeaderBytes: 431 with the limit", async () => {
    const answer = await exchange(
      cloud.port,
      `GET /_admin/health HTTP/1.1\r\nHost: 127.0.0.1:${cloud.port}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
    expect(answer.body).toBe("The request line and headers exceed 16384 bytes (limits.maxHeaderBytes).\n");
    expect(lines).toContain("[local-cloud] request refused (431): HPE_HEADER_OVERFLOW");
    await stillServesApis(cloud);
  });

  test("bytes that are not HTTP: 400 naming the parser's complaint", async () => {
    const answer = await exchange(cloud.port, "\x00\x01 not http\r\n\r\n");
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/^The request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\)\.\n$/);
    await stillServesApis(cloud);
  });

  const apiHead = (port: number, extra: string) =>
    `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Amz-Target: AmazonSSM.DescribeSessions\r\n` +
    `Content-Type: application/x-amz-json-1.1\r\n${extra}\r\n`;

  test("a declared body over maxBodyBytes: 413 before a byte of it is read", async () => {
    const answer = await exchange(cloud.port, apiHead(cloud.port, `Content-Length: ${300 * 1024}\r\n`));
    expect(answer.status).toBe(413);
    expect(answer.body).toBe(
      `The request body exceeds ${DEFAULT_LIMITS.maxBodyBytes} bytes (limits.maxBodyBytes).\n`,
    );
    await stillServesApis(cloud);
  });

  test("a chunked body that grows past maxBodyBytes: 413 and the connection closed", async () => {
    const chunk = `${(64 * 1024).toString(16)}\r\n${"x".repeat(64 * 1024)}\r\n`;
    const answer = await exchange(
      cloud.port,
      apiHead(cloud.port, "Transfer-Encoding: chunked\r\n"),
      ...Array.from({ length: 5 }, () => chunk),
    );
    expect(answer.status).toBe(413);
    expect(answer.headers).toMatch(/connection: close/i);
    expect(answer.body).toBe(
      `The request body exceeds ${DEFAULT_LIMITS.maxBodyBytes} bytes (limits.maxBodyBytes).\n`,
    );
    await stillServesApis(cloud);
  });

  test("an admin body over maxAdminBodyBytes: 413 as the admin API's JSON", async () => {
    const answer = await exchange(
      cloud.port,
      `POST /_admin/faults HTTP/1.1\r\nHost: 127.0.0.1:${cloud.port}\r\nAuthorization: Bearer ${cloud.adminToken}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${70 * 1024}\r\n\r\n`,
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      error: `The request body exceeds ${DEFAULT_LIMITS.maxAdminBodyBytes} bytes (limits.maxAdminBodyBytes).`,
    });
    await stillServesApis(cloud);
  });

  test("peers that reset in the middle of every kind of refusal leave the process serving", async () => {
    const refusedRequests = [
      upgradeRequest(cloud.port, "/v1/data-channel/%"),
      upgradeRequest(cloud.port, "/nowhere"),
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${cloud.port}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      "\x00 not http\r\n\r\n",
      apiHead(cloud.port, `Content-Length: ${300 * 1024}\r\n`),
    ];
    for (let round = 0; round < 5; round++) {
      for (const request of refusedRequests) {
        const { socket, closed } = await openRaw(cloud.port);
        socket.write(request);
        // After a tick the refusal is being written; a reset now hits it mid-way.
        await new Promise((resolve) => setImmediate(resolve));
        socket.resetAndDestroy();
        await closed;
      }
    }
    await stillServesApis(cloud);
    await stillServesSession(cloud);
  });

  test("no log line carries a token, a signature or a query string", () => {
    for (const line of lines) {
      expect(line).not.toContain(cloud.adminToken);
      expect(line).not.toMatch(/0{64}|\?|%/);
      expect(line.split("\n")).toHaveLength(1);
    }
  });

  test("and after all of it, a whole session still works", async () => {
    await stillServesSession(cloud);
  });
});

describe("with small limits", () => {
  test("slow headers: 408 with both time limits, the connection closed", async () => {
    const { cloud: starting } = start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const cloud = await starting;
    try {
      const began = Date.now();
      const answer = await exchange(
        cloud.port,
        `GET /_admin/health HTTP/1.1\r\nHost: 127.0.0.1:${cloud.port}\r\n`,
      );
      expect(answer.status).toBe(408);
      expect(answer.body).toBe(
        "The request did not arrive in time: headers are awaited 200 ms, the whole request 400 ms " +
          "(limits.headersTimeoutMs, limits.requestTimeoutMs).\n",
      );
      expect(Date.now() - began).toBeLessThan(2000);
      await stillServesApis(cloud);
    } finally {
      await cloud.stop();
    }
  });

  test("connections over maxConnections: 503 with the cap; freed ones serve again", async () => {
    const { cloud: starting, lines } = start({ maxConnections: 5 });
    const cloud = await starting;
    try {
      const held = await Promise.all([1, 2, 3, 4, 5].map(() => openRaw(cloud.port)));
      const over = await openRaw(cloud.port);
      await over.closed;
      const answer = parseAnswer(over.received());
      expect(answer.status).toBe(503);
      expect(answer.body).toBe(
        "The local cloud is serving its maximum of 5 connections: close some (or raise limits.maxConnections) and retry.\n",
      );
      expect(lines).toContain("[local-cloud] connection refused (503): 5 connections already open");
      // A reset while the refusal is written.
      const reset = await openRaw(cloud.port);
      reset.socket.resetAndDestroy();
      for (const h of held) h.socket.destroy();
      await untilAccepted(cloud.port);
      await stillServesApis(cloud);
      await stillServesSession(cloud);
    } finally {
      await cloud.stop();
    }
  });
});
