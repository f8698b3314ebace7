/**
 * The local cloud: one HTTP server on loopback that speaks the clouds' wire protocols (so the
 * official SDKs work against it unchanged, only the endpoint differs), the admin API under
 * `/_admin/`, and WebSocket upgrades for the session data plane.
 *
 * Every request and upgrade first passes the Host and Origin checks (emulator/security/): it runs
 * shells and commands on this machine, so no web page may drive it. Admin routes then need the
 * admin token and JSON bodies.
 *
 * With a state dir, the services' records (and the admin API's inventory changes) are kept in
 * `<stateDir>/state.json` (emulator/persistence/): read before the port is bound, taken back once
 * it is (the data planes' URLs need it), saved after changes and at stop.
 *
 * Per API request: read body -> pick protocol (`matches`) -> `parse` (authenticate, route) ->
 * fault rules -> handler -> encode; one request-log row per request. Every error is an ApiError
 * encoded by the protocol that took the request; anything else becomes its 500 InternalError.
 *
 * No peer's bytes can end the process: connections are capped, headers, bodies and time bounded
 * (emulator/limits.ts), a failing request, upgrade or state write ends that one request, upgrade
 * or write with a reason, and every socket refused by hand has an error listener first.
 * docs/protocols/control-plane.md lists each refusal.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { handleAdmin, ADMIN_PREFIX } from "./admin/router";
import { FaultInjector, injectedServerError } from "./admin/faults";
import { RequestLog, type RequestLogEntry } from "./admin/requestLog";
import { describeFailure } from "./dataplane/failures";
import { asClock, systemClock, type Clock, type TimeSource } from "./clock";
import { localCloudConfigSchema, type LocalCloudConfig, type LocalCloudConfigInput } from "./config";
import { EcsDataPlane } from "./dataplane/ecs/ecsDataPlane";
import { DataPlaneFaults } from "./dataplane/faults";
import { DataPlaneSettings } from "./dataplane/settings";
import { SsmDataPlane } from "./dataplane/ssm/dataPlane";
import type { Limits } from "./limits";
import { InventoryJournal } from "./persistence/inventoryJournal";
import { STATE_FILE, StateStore } from "./persistence/store";
import { protocols } from "./protocol";
import { standardErrorsFor } from "./protocol/standardErrors";
import type { Dispatch, ProtocolEnv, RawRequest, RawResponse, WireProtocol } from "./protocol/types";
import { adminTokenRefusal } from "./security/adminToken";
import { capConnections } from "./security/connectionCap";
import { hostRefusal, ownHosts, type HostCheck } from "./security/hostCheck";
import { clientErrorRefusal, httpRefusals } from "./security/httpRefusals";
import { jsonBodyRefusal } from "./security/jsonBody";
import { loadLocalSecrets } from "./security/localSecrets";
import { originRefusal } from "./security/originCheck";
import type { Refusal } from "./security/refusal";
import { refuseSocket } from "./security/socketRefusal";
import { routeUpgrade } from "./security/upgradeGuard";
import { createServices } from "./services";
import { checkPermission } from "./services/permissions";
import { ApiError } from "./protocol/apiError";
import type { Service } from "./services/types";

export interface LocalCloudOptions {
  /**
   * Time for service state (creation times, URL expiry, four-week retention, credential expiry)
   * and the data planes' timers (idle timeouts, periodic close, faults). Default: system clock.
   * A source of the time alone gets real timers.
   */
  clock?: TimeSource;
  /**
   * Time request signatures are checked against (15-minute skew) and API answers' Date header.
   * Default: the system clock, not `clock`: clients sign with the real time even when a test
   * moves the service clock by weeks.
   */
  authClock?: Clock;
  /** The ECS data plane's idle timeout to start with (default 3 minutes; `/_admin/dataplane/settings` changes it). */
  idleTimeoutMs?: number;
  /** Overrides the data plane's per-session bandwidth limit (ECS: 200 KiB/s per direction). */
  bandwidthBytesPerSec?: number;
  /** Where the local cloud's own one-line reports go (refusals, failed state writes). Default: stderr. */
  log?: (line: string) => void;
}

export interface LocalCloud {
  port: number;
  /** `127.0.0.1:PORT`, what SDK configs take as `endpoint`. */
  endpoint: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The live config: the admin API's inventory changes land here. */
  config: LocalCloudConfig;
  /** What every `/_admin/` call sends as `Authorization: Bearer <adminToken>`. */
  adminToken: string;
  /** The file holding the generated key, when the config named no credentials. */
  credentialsFile?: string;
  services: Service[];
  requestLog: RequestLog;
  faults: FaultInjector;
  dataPlane: EcsDataPlane;
  /** `/_admin/dataplane/faults`: drops and frame faults on both data planes. */
  dataPlaneFaults: DataPlaneFaults;
  /** `/_admin/dataplane/settings`: idle timeouts and the periodic close. */
  dataPlaneSettings: DataPlaneSettings;
  stop(): Promise<void>;
}

/**
 * The request's body, or "too large" as soon as it passes `max` bytes (declared or sent): what
 * follows is no longer kept, and the answer closes the connection.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | "too large"> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > max) return Promise.resolve("too large");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) return void chunks.push(c);
      req.off("data", onData);
      resolve("too large");
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, r: RawResponse): void {
  res.writeHead(r.status, { ...r.headers, "content-length": Buffer.byteLength(r.body) });
  res.end(r.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = body === null || body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** A refusal of a request no wire protocol claims, as one line of text. */
function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const text = `${refusal.reason}\n`;
  res.writeHead(refusal.status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function hostPart(host: string): string {
  if (host === "localhost") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request's parameters for the log, without the values of its service's secret ones. */
function loggedParams({ params, service }: Dispatch): Record<string, unknown> {
  const secret = new Set(service.secretParameters);
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, secret.has(k) ? "***" : v]));
}

/** Runs one API request through its protocol; returns the response, or "drop" to kill the socket. */
async function serveApi(
  protocol: WireProtocol,
  raw: RawRequest,
  env: ProtocolEnv,
  faults: FaultInjector,
  row: RequestLogEntry,
  log: (line: string) => void,
): Promise<RawResponse | "drop"> {
  const errors = standardErrorsFor(protocol);
  let dispatch: Dispatch | undefined;
  try {
    dispatch = protocol.parse(raw, env, row.requestId);
    row.service = dispatch.service.name;
    row.action = dispatch.action;
    row.params = loggedParams(dispatch);
    const callerKey = dispatch.ctx.accessKeyId;
    const caller = env.credentials().find((c) => c.accessKeyId === callerKey);
    checkPermission(caller, dispatch.service.name, dispatch.action);
    const fired = faults.pick(dispatch.service.name, dispatch.action);
    if (fired.length > 0) row.faults = fired.map((f) => f.kind);
    const latency = fired.find((f) => f.kind === "latency");
    if (latency) await sleep(latency.latencyMs ?? 1000);
    if (fired.some((f) => f.kind === "throttle")) throw errors.throttling();
    const serverError = fired.find((f) => f.kind === "serverError");
    if (serverError) {
      throw serverError.code === undefined
        ? errors.unavailable()
        : injectedServerError(dispatch.service.name, serverError.code);
    }

    const handler = dispatch.service.actions[dispatch.action];
    const result = await handler(dispatch.params, dispatch.ctx);
    const response = protocol.encodeResult(dispatch, result);
    row.status = response.status;
    if (fired.some((f) => f.kind === "dropResponse")) {
      row.status = 0;
      return "drop";
    }
    return response;
  } catch (err) {
    const apiError = err instanceof ApiError ? err : errors.internal();
    if (!(err instanceof ApiError)) {
      // Unexpected: keep the cause visible to whoever runs the emulator.
      log(`[local-cloud] ${row.requestId} ${row.service}/${row.action} failed: ${describeFailure(err)}`);
    }
    row.status = apiError.httpStatus;
    row.code = apiError.code;
    return protocol.encodeError(apiError, row.requestId);
  }
}

export async function startLocalCloud(
  input: LocalCloudConfigInput = {},
  options: LocalCloudOptions = {},
): Promise<LocalCloud> {
  const parsed = localCloudConfigSchema.parse(input);
  const secrets = loadLocalSecrets(parsed.stateDir, parsed.credentials);
  const config: LocalCloudConfig = { ...parsed, credentials: secrets.credentials };
  const limits: Limits = config.limits;
  const log = options.log ?? ((line: string) => console.error(line));
  const clock = asClock(options.clock ?? systemClock);
  const host = config.host === "localhost" ? "127.0.0.1" : config.host;
  let port = 0;
  // Set once listening (the port may be picked by the system); nothing arrives before.
  let hostCheck: HostCheck = { own: [], allowedHosts: config.allowedHosts };
  const checkRequest = (req: IncomingMessage): Refusal | null =>
    hostRefusal(req.headers.host, hostCheck) ?? originRefusal(req.headers.origin, hostCheck.own);

  const dataPlaneSettings = new DataPlaneSettings({ ecsIdleTimeoutMs: options.idleTimeoutMs });
  const dataPlaneFaults = new DataPlaneFaults(clock);
  const dataPlane = new EcsDataPlane({
    clock,
    baseUrl: () => `ws://${hostPart(host)}:${port}`,
    settings: () => dataPlaneSettings.ecs,
    faults: dataPlaneFaults,
    bandwidthBytesPerSec: options.bandwidthBytesPerSec,
  });
  const ssmDataPlane = new SsmDataPlane({
    clock,
    authClock: options.authClock ?? systemClock,
    baseUrl: () => `ws://${hostPart(host)}:${port}`,
    credentials: () => config.credentials,
    settings: () => dataPlaneSettings.ssm,
    faults: dataPlaneFaults,
  });
  const store =
    config.stateDir === undefined
      ? undefined
      : new StateStore(join(config.stateDir, STATE_FILE), { onWriteError: (line) => log(line) });
  // Read (and refused when unreadable) before the port is bound; taken back once it is.
  const saved = store?.read();
  const changed = () => store?.changed();
  const services = createServices(config, { clock, dataPlane, ssmDataPlane, changed });
  const inventory = new InventoryJournal(config);
  store?.add("inventory", inventory);
  for (const s of services) if (s.persistence) store?.add(s.name, s.persistence);
  const requestLog = new RequestLog(limits);
  const faults = new FaultInjector();
  const env: ProtocolEnv = {
    credentials: () => config.credentials,
    services,
    clock: options.authClock ?? systemClock,
    credentialClock: clock,
  };

  const newRow = (): RequestLogEntry => ({
    time: clock.now().toISOString(),
    requestId: randomUUID().toUpperCase(),
    protocol: null,
    service: null,
    action: null,
    status: 0,
    code: null,
    durationMs: 0,
  });

  /**
   * Answers a refused request before its body is read: in the error shape of the API it is for,
   * so an SDK shows the reason as the error's message; as JSON for the admin API; else as text.
   */
  function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal, isAdmin: boolean): void {
    res.setHeader("connection", "close");
    if (isAdmin) return sendJson(res, refusal.status, { error: refusal.reason });
    const raw = {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers,
      body: Buffer.alloc(0),
    };
    const protocol = protocols.find((p) => p.matches({ ...raw, remoteAddress: "" }));
    if (!protocol) return sendRefusal(res, refusal);
    const row = { ...newRow(), protocol: protocol.name, status: refusal.status };
    const error = standardErrorsFor(protocol).forbidden(refusal.status, refusal.reason);
    row.code = error.code;
    requestLog.add(row);
    send(res, protocol.encodeError(error, row.requestId));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = req.url ?? "/";
    const isAdmin = url.startsWith(ADMIN_PREFIX);
    const refusal =
      checkRequest(req) ??
      (isAdmin
        ? (adminTokenRefusal(req.headers.authorization, secrets.adminToken) ??
          jsonBodyRefusal(req.method ?? "GET", req.headers["content-type"]))
        : null);
    if (refusal) return refuse(req, res, refusal, isAdmin);
    const maxBody = isAdmin ? limits.maxAdminBodyBytes : limits.maxBodyBytes;
    const body = await readBody(req, maxBody);
    if (body === "too large") {
      // As text for every API: neither cloud documents an error code for it.
      const tooLarge = httpRefusals.bodyTooLarge(maxBody, isAdmin ? "maxAdminBodyBytes" : "maxBodyBytes");
      res.setHeader("connection", "close");
      return isAdmin
        ? sendJson(res, tooLarge.status, { error: tooLarge.reason })
        : sendRefusal(res, tooLarge);
    }
    if (isAdmin) {
      const r = handleAdmin(
        {
          config,
          services,
          requestLog,
          faults,
          dataPlaneFaults,
          dataPlaneSettings,
          stateStatus: () => store?.status(),
          inventoryChanged: (change) => {
            inventory.record(change);
            changed();
          },
        },
        req.method ?? "GET",
        url.split("?")[0],
        body,
      );
      sendJson(res, r.status, r.body);
      return;
    }

    const raw: RawRequest = {
      method: req.method ?? "GET",
      url,
      headers: req.headers,
      body,
      remoteAddress: req.socket.remoteAddress ?? "127.0.0.1",
    };
    const row = newRow();
    const protocol = protocols.find((p) => p.matches(raw));
    let outcome: RawResponse | "drop";
    if (!protocol) {
      row.status = 404;
      row.code = "UnknownProtocol";
      outcome = {
        status: 404,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ Code: "UnknownProtocol", Message: "No wire protocol matches this request." }),
      };
    } else {
      row.protocol = protocol.name;
      outcome = await serveApi(protocol, raw, env, faults, row, log);
    }
    row.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    requestLog.add(row);
    if (outcome === "drop") return void res.socket?.destroy();
    // The clock signatures are checked against, as the clouds' Date header is: the AWS SDK
    // corrects its signing time by it, and clients read the cloud's time from it.
    res.setHeader("date", env.clock.now().toUTCString());
    send(res, outcome);
  }

  const server: Server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node looks for connections past those timeouts (its default, 30 s, would let a
      // slow peer hold a connection four times the header timeout).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(limits.headersTimeoutMs / 4)),
    },
    (req, res) => {
      onRequest(req, res).catch((err: unknown) => {
        log(`[local-cloud] request failed: ${describeFailure(err)}`);
        if (!res.headersSent) sendJson(res, 500, { error: "The local cloud failed to answer this request." });
        else res.destroy();
      });
    },
  );
  capConnections(server, limits.maxConnections, () =>
    log(`[local-cloud] connection refused (503): ${limits.maxConnections} connections already open`),
  );
  // Bytes that are not HTTP, headers too large or too slow: that connection is told why and closed.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    const refusal = clientErrorRefusal(err, limits);
    if (refusal === undefined || !socket.writable) return void socket.destroy();
    log(`[local-cloud] request refused (${refusal.status}): ${err.code ?? err.name}`);
    refuseSocket(socket, refusal);
  });
  // Before any data plane sees it: browsers can open WebSockets to any origin.
  const upgrades = {
    check: checkRequest,
    handlers: [ssmDataPlane.handleUpgrade.bind(ssmDataPlane), dataPlane.handleUpgrade.bind(dataPlane)],
    log,
  };
  server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) =>
    routeUpgrade(upgrades, req, socket, head),
  );

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    secrets.cleanup();
    throw err;
  });
  // Once listening, a server error (e.g. EMFILE on accept) is reported, never fatal.
  server.on("error", (err) => log(`[local-cloud] server error: ${describeFailure(err)}`));
  port = (server.address() as AddressInfo).port;
  hostCheck = { own: ownHosts(host, port), allowedHosts: config.allowedHosts };
  try {
    store?.restore(saved);
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    secrets.cleanup();
    throw err;
  }
  const endpoint = `${hostPart(host)}:${port}`;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await dataPlane.shutdown();
      await ssmDataPlane.shutdown();
      await Promise.all(services.map((s) => s.close?.()));
      // After the data planes and services settled: what they recorded last is kept too.
      store?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      secrets.cleanup();
    })();
    return stopped;
  };

  return {
    port,
    endpoint,
    url: `http://${endpoint}`,
    config,
    adminToken: secrets.adminToken,
    credentialsFile: secrets.credentialsFile,
    services,
    requestLog,
    faults,
    dataPlane,
    dataPlaneFaults,
    dataPlaneSettings,
    stop,
  };
}
