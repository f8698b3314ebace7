/**
 * What a web page could do to a local cloud left running (DNS rebinding, cross-site requests,
 * WebSockets from foreign origins), each refused with its reason; the same calls from loopback,
 * with the admin token, still work. Driven by the official SDKs where the API is concerned.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";
process.env.AWS_EC2_METADATA_DISABLED = "true";

import dns from "node:dns";
import http from "node:http";
import { connect, type LookupFunction } from "node:net";
import { DescribeSessionsCommand, SSMClient, StartSessionCommand } from "@aws-sdk/client-ssm";
import { WebSocket } from "ws";
import { AdminClient } from "../admin/client";
import { startLocalCloud, type LocalCloud } from "../server";
import { acsError, callRpc, openApiClient, TEST_CREDENTIAL } from "../testing/alibaba";

const REGION = "cn-hangzhou";
const AWS_REGION = "us-east-1";
const SSM_TARGET = "i-0123456789abcdef0";
const EVIL = "evil.example";

/** DNS rebinding in one function: every name resolves to 127.0.0.1, so no lookup leaves loopback. */
const rebind: LookupFunction = (_hostname, options, callback) => {
  if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

/**
 * Runs `fn` with every name resolving to 127.0.0.1 in this process: openapi-core's HTTP client
 * takes no lookup of its own, and Node's sockets read `dns.lookup` at each connect.
 */
async function withRebinding<T>(fn: () => Promise<T>): Promise<T> {
  const saved = dns.lookup;
  dns.lookup = rebind as typeof dns.lookup;
  try {
    return await fn();
  } finally {
    dns.lookup = saved;
  }
}

/** A plain HTTP/1.1 request with the headers as given (fetch may not set Host). */
function rawRequest(port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function ssm(url: string): SSMClient {
  return new SSMClient({
    region: AWS_REGION,
    endpoint: url,
    credentials: {
      accessKeyId: TEST_CREDENTIAL.accessKeyId,
      secretAccessKey: TEST_CREDENTIAL.accessKeySecret,
    },
    maxAttempts: 1,
    requestHandler: { httpAgent: new http.Agent({ lookup: rebind }) },
  });
}

type Upgrade = { opened: true } | { opened: false; status: number; body: string };

/** Opens a WebSocket with the given Origin / name (resolved to loopback); reports the refusal, if any. */
function upgrade(url: string, options: { origin?: string } = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { lookup: rebind, origin: options.origin });
    ws.once("open", () => {
      ws.terminate();
      resolve({ opened: true });
    });
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.once("error", reject);
  });
}

/** A raw admin call, the way a web page would make it. */
async function adminFetch(cloud: LocalCloud, path: string, init: RequestInit = {}) {
  const res = await fetch(`${cloud.url}/_admin/${path}`, init);
  return { status: res.status, body: (await res.json()) as { error?: string } };
}

describe("a local cloud no web page can drive", () => {
  let cloud: LocalCloud;
  let admin: AdminClient;
  /** The cloud's URL under a name that resolves to it (what a rebinding page sees). */
  let evilUrl: string;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      ecs: { instances: [{ instanceId: "i-1", regionId: REGION }] },
      ssm: { targets: [{ target: SSM_TARGET, region: AWS_REGION }] },
    });
    admin = new AdminClient(cloud);
    evilUrl = `http://${EVIL}:${cloud.port}`;
  });
  afterAll(() => cloud.stop());

  const hostReason = () =>
    `Host "${EVIL}:${cloud.port}" is not allowed: the local cloud answers 127.0.0.1:${cloud.port} and ` +
    `localhost:${cloud.port} only; to reach it under another name, start it with --allowed-host ${EVIL} ` +
    `(config "allowedHosts").`;
  const originReason = (origin: string) =>
    `Origin "${origin}" is not allowed: the local cloud takes no requests from web pages (only its own ` +
    `origin http://127.0.0.1:${cloud.port}; the official SDKs and session clients send no Origin).`;

  describe("Host check (DNS rebinding)", () => {
    test("a signed ECS call under a foreign name is refused with the reason, before its signature is checked", async () => {
      await admin.clearRequests();
      // A key the cloud does not know: had the signature been looked at, this would be InvalidAccessKeyId.NotFound.
      const unknownKey = { accessKeyId: "LTAIunknown000001", accessKeySecret: "unknown" };
      const client = openApiClient({ endpoint: `${EVIL}:${cloud.port}` }, unknownKey);
      const err = await withRebinding(() =>
        acsError(callRpc(client, "DescribeTerminalSessions", { RegionId: REGION })),
      );
      expect([err.name, err.statusCode, err.code]).toEqual(["ClientError", 403, "Forbidden"]);
      expect(err.data.Message).toBe(hostReason());
      const [row] = await admin.requests();
      expect(row).toMatchObject({ protocol: "acsRpc", service: null, status: 403, code: "Forbidden" });
    });

    test("a signed SSM call under a foreign name is refused with the reason", async () => {
      const err = (await ssm(evilUrl)
        .send(new DescribeSessionsCommand({ State: "Active" }))
        .catch((e: unknown) => e)) as {
        name: string;
        message: string;
        $metadata: { httpStatusCode: number };
      };
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 403]);
      expect(err.message).toBe(hostReason());
    });

    test("the admin API under a foreign name is refused, even with the token", async () => {
      const res = await rawRequest(cloud.port, "/_admin/sessions", {
        host: `${EVIL}:${cloud.port}`,
        authorization: `Bearer ${cloud.adminToken}`,
      });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toEqual({ error: hostReason() });
    });

    test("a WebSocket upgrade to a session URL under a foreign name is refused", async () => {
      const s = await callRpc(openApiClient(cloud), "StartTerminalSession", {
        RegionId: REGION,
        InstanceId: ["i-1"],
        CommandLine: "true",
      });
      const url = new URL(String(s.body.WebSocketUrl));
      expect(url.host).toBe(`127.0.0.1:${cloud.port}`);
      url.hostname = EVIL;
      expect(await upgrade(url.href)).toEqual({ opened: false, status: 403, body: `${hostReason()}\n` });
      await callRpc(openApiClient(cloud), "EndTerminalSession", {
        RegionId: REGION,
        SessionId: s.body.SessionId,
      });
    });

    test("an HTTP/1.0 request without Host is refused", async () => {
      // HTTP/1.1 without Host gets Node's own 400; HTTP/1.0 may leave it out.
      const answer = await new Promise<string>((resolve, reject) => {
        let text = "";
        const socket = connect(cloud.port, "127.0.0.1", () =>
          socket.end("GET /_admin/health HTTP/1.0\r\n\r\n"),
        );
        socket.on("data", (d: Buffer) => (text += d.toString()));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
      expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 403 Forbidden");
      expect(answer).toContain("The request has no Host header");
    });
  });

  describe("Origin check", () => {
    test("a fetch from a foreign page to the API is refused with the reason", async () => {
      const res = await fetch(`${cloud.url}/?Action=DescribeTerminalSessions&RegionId=${REGION}`, {
        method: "POST",
        headers: { origin: `http://${EVIL}`, "content-type": "text/plain" },
        body: "x",
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { Message: string }).Message).toBe(originReason(`http://${EVIL}`));
    });

    test("a WebSocket from a foreign origin to a live session URL is refused; `null` too", async () => {
      const s = await callRpc(openApiClient(cloud), "StartTerminalSession", {
        RegionId: REGION,
        InstanceId: ["i-1"],
      });
      const url = String(s.body.WebSocketUrl);
      for (const origin of [`http://${EVIL}`, "null", `http://localhost:${cloud.port + 1}`]) {
        expect(await upgrade(url, { origin })).toEqual({
          opened: false,
          status: 403,
          body: `${originReason(origin)}\n`,
        });
      }
      // The local cloud's own origin, and no origin (what session clients send), open it.
      expect(await upgrade(url, { origin: cloud.url })).toEqual({ opened: true });
      expect(await upgrade(url)).toEqual({ opened: true });
      await callRpc(openApiClient(cloud), "EndTerminalSession", {
        RegionId: REGION,
        SessionId: s.body.SessionId,
      });
    });

    test("an SSM StreamUrl is guarded the same way: foreign Origin or Host refused", async () => {
      const started = await ssm(cloud.url).send(new StartSessionCommand({ Target: SSM_TARGET }));
      const url = new URL(started.StreamUrl!);
      expect(await upgrade(url.href, { origin: `http://${EVIL}` })).toEqual({
        opened: false,
        status: 403,
        body: `${originReason(`http://${EVIL}`)}\n`,
      });
      url.hostname = EVIL;
      expect(await upgrade(url.href)).toEqual({ opened: false, status: 403, body: `${hostReason()}\n` });
    });
  });

  describe("admin API", () => {
    const attackerKey = { accessKeyId: "LTAIattacker00001", accessKeySecret: "attacker-secret" };

    test("the cross-site form post (text/plain, foreign Origin) that added a key is refused", async () => {
      const res = await adminFetch(cloud, "inventory", {
        method: "POST",
        headers: { "content-type": "text/plain", origin: `http://${EVIL}` },
        body: JSON.stringify({ credentials: [attackerKey] }),
      });
      expect(res).toEqual({ status: 403, body: { error: originReason(`http://${EVIL}`) } });
      const inventory = (await admin.inventory()) as { credentials: Array<{ accessKeyId: string }> };
      expect(inventory.credentials.map((c) => c.accessKeyId)).toEqual([TEST_CREDENTIAL.accessKeyId]);
    });

    test.each([
      ["GET", "sessions"],
      ["GET", "inventory"],
      ["POST", "faults"],
      ["POST", "inventory"],
      ["DELETE", "faults"],
      ["GET", "health"],
    ])("%s /_admin/%s without the token -> 401 with the reason", async (method, path) => {
      const res = await adminFetch(cloud, path, {
        method,
        headers: { "content-type": "application/json" },
        body: method === "POST" ? JSON.stringify({ action: "*", kind: "serverError" }) : undefined,
      });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe(
        'The admin API needs the local cloud\'s admin token: send "Authorization: Bearer <adminToken>" ' +
          "(adminToken is in the line the local cloud printed at start).",
      );
      expect(await admin.faults()).toEqual([]);
    });

    test("a wrong token -> 403 with the reason", async () => {
      const res = await adminFetch(cloud, "sessions", { headers: { authorization: "Bearer not-the-token" } });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatch(/^The admin token does not match this local cloud's/);
    });

    test("text/plain with the token -> 415 with the reason, nothing changed", async () => {
      const res = await adminFetch(cloud, "inventory", {
        method: "POST",
        headers: { "content-type": "text/plain", authorization: `Bearer ${cloud.adminToken}` },
        body: JSON.stringify({ credentials: [attackerKey] }),
      });
      expect(res).toEqual({
        status: 415,
        body: {
          error: 'The admin API takes JSON only: send Content-Type: application/json (got "text/plain").',
        },
      });
      const err = await acsError(
        callRpc(openApiClient(cloud, attackerKey), "DescribeTerminalSessions", { RegionId: REGION }),
      );
      expect(err.code).toBe("InvalidAccessKeyId.NotFound");
    });

    test("from loopback, with the token and JSON, the same calls succeed", async () => {
      await admin.addInventory({ credentials: [attackerKey] });
      const ok = await callRpc(openApiClient(cloud, attackerKey), "DescribeTerminalSessions", {
        RegionId: REGION,
      });
      expect(ok.statusCode).toBe(200);
      await admin.addInventory({ remove: { credentials: [attackerKey.accessKeyId] } });
      const rule = await admin.addFault({ action: "DescribeSessions", kind: "serverError", count: 1 });
      expect(await admin.faults()).toEqual([expect.objectContaining({ id: rule.id })]);
      await admin.clearFaults();
      expect(
        await adminFetch(cloud, "health", { headers: { authorization: `Bearer ${cloud.adminToken}` } }),
      ).toEqual({
        status: 200,
        body: { ok: true },
      });
    });
  });

  test("loopback names work with the official SDKs: 127.0.0.1 and localhost, ECS and SSM", async () => {
    const ecs = await callRpc(
      openApiClient({ endpoint: `localhost:${cloud.port}` }),
      "DescribeTerminalSessions",
      {
        RegionId: REGION,
      },
    );
    expect(ecs.statusCode).toBe(200);
    const started = await ssm(cloud.url).send(new StartSessionCommand({ Target: SSM_TARGET }));
    expect(started.StreamUrl).toMatch(/^wss?:\/\//);
    const listed = await ssm(`http://localhost:${cloud.port}`).send(
      new DescribeSessionsCommand({ State: "Active" }),
    );
    expect(listed.Sessions?.map((s) => s.SessionId)).toContain(started.SessionId);
  });
});

describe("allowedHosts", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [TEST_CREDENTIAL],
      allowedHosts: ["devbox.test", "proxy.test:8443"],
      ssm: { targets: [{ target: SSM_TARGET, region: AWS_REGION }] },
    });
  });
  afterAll(() => cloud.stop());

  test("a name allowed without a port is answered on the cloud's port; with a port, only that one", async () => {
    const listed = await ssm(`http://devbox.test:${cloud.port}`).send(
      new DescribeSessionsCommand({ State: "Active" }),
    );
    expect(listed.$metadata.httpStatusCode).toBe(200);
    const asked = async (host: string) =>
      (await rawRequest(cloud.port, "/_admin/health", { host, authorization: `Bearer ${cloud.adminToken}` }))
        .status;
    expect(await asked("proxy.test:8443")).toBe(200);
    expect(await asked("proxy.test:8444")).toBe(403);
    expect(await asked("other.test:8443")).toBe(403);
  });

  test("an allowed name is not an allowed origin", async () => {
    const res = await fetch(`${cloud.url}/_admin/health`, {
      headers: { origin: `http://devbox.test:${cloud.port}`, authorization: `Bearer ${cloud.adminToken}` },
    });
    expect(res.status).toBe(403);
  });

  test("entries that are not host names are refused at start, naming the rule", async () => {
    await expect(startLocalCloud({ allowedHosts: ["http://devbox.test/"] })).rejects.toThrow(
      /a host name or address, optionally with :port \(no scheme, no path\)/,
    );
  });
});
