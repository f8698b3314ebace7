/**
 * The sessions behind a tunnel, started and ended by the very lifecycles of `aws.SsmSession` and
 * `alicloud.TerminalSession` (validation, retries, error messages and idempotency are theirs),
 * and the local forwarder of the package's client on top of each.
 *
 * Every start is journaled before its call (see journal.ts) and completed with the session's id
 * as soon as the cloud gives it; when any later step fails, that session is ended before the
 * error goes on. A session that fails while the tunnel is open (ended from the cloud's side, a far
 * end that breaks the protocol) is logged in one line and replaced for new connections.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import * as ecs from "../../client/ecs";
import * as ssm from "../../client/ssm";
import { alicloudClientFor, startTerminalSession, WEBSOCKET_URL_TTL_MS } from "../clients/alicloud";
import { listSsmSessions, ssmClientFor } from "../clients/aws";
import type { ProviderSettings } from "../config";
import { hasErrorCode, isErrorNamed, type ResourceInitError } from "../errors/base";
import { redactSecrets } from "../errors/redact";
import type { Lifecycle } from "../lifecycle";
import { ssmSessionLifecycle } from "../resources/ssmSession/lifecycle";
import { terminalSessionLifecycle } from "../resources/terminalSession/lifecycle";
import { classify } from "../retry";
import { TUNNEL_HOST } from "../../sdk/contract/tunnel";
import type { TunnelSpec } from "./schema";
import type { AlicloudIntent, AwsIntent, JournalRecord, SessionIntent } from "./journal";

/** A session a tunnel started. */
export interface StartedSession {
  sessionId: string;
  region: string;
}

/** One start, journaled from before its call until its session is ended. */
export interface TrackedStart {
  /** The session's id, once the cloud gave it. */
  readonly sessionId?: string;
  /** The cloud answered: the id completes the journal record. */
  started(sessionId: string): void;
  /** Ends the session (found from the record while its id is unknown), then drops the record. */
  end(): Promise<void>;
  /** Drops the record: the start was refused, so no session exists. */
  forget(): void;
}

/** What a tunnel's sessions report to. */
export interface SessionLedger {
  /** Journals what finds a session, before the call that may create it. */
  intend(intent: SessionIntent): TrackedStart;
  /** One line for the engine, without secrets. */
  log(message: string): void;
}

/** The local listener of a tunnel. */
export interface Forwarder {
  /** Stops listening and closes the connections (the sessions themselves are ended by the ledger). */
  stop(): Promise<void>;
}

/** What a tunnel needs of a cloud. */
export interface TunnelSessions {
  /** Starts a session and listens on the tunnel's local port; every start goes through `ledger`. */
  open(ledger: SessionLedger): Promise<Forwarder>;
}

/**
 * The `Reason` an SSM tunnel's sessions carry, `pulumi-sessions tunnel <project>/<stack>/<name>`,
 * so they are recognisable in the session history; with a start's marker appended, it is how a
 * later run finds a session whose id never reached the journal.
 */
export function tunnelReason(urn: string, marker?: string): string {
  const [head = "", project = "", , name = ""] = urn.split("::");
  const stack = head.split(":")[2] ?? "";
  const tail = marker === undefined ? "" : ` #${marker}`;
  return `pulumi-sessions tunnel ${project}/${stack}/${name}`.slice(0, 256 - tail.length) + tail;
}

/** An error's message as one line without secrets, for the engine's log. */
export function logLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactSecrets(text).replace(/\s+/g, " ").trim().replace(/\.$/, "").slice(0, 300);
}

/** A lifecycle's check, throwing its failures as one message naming each field. */
async function checked(lifecycle: Lifecycle, inputs: Record<string, unknown>, field: string) {
  const result = await lifecycle.check({}, inputs);
  const failures = result.failures ?? [];
  if (failures.length > 0) throw new Error(`${field}: ${failures.map((f) => f.reason).join("; ")}`);
  return result.inputs as Record<string, unknown>;
}

/**
 * True when the start certainly made no session: the cloud answered it with a 4xx, or nothing
 * listened at the endpoint. Anything else (a lost answer, a timeout, an error of no known kind)
 * may have left a session behind.
 */
function refused(err: unknown): boolean {
  const failure = classify(err);
  const status = (err as { httpStatus?: unknown } | null)?.httpStatus;
  return failure === "unreachable" || (failure === "client" && typeof status === "number" && status < 500);
}

/**
 * Runs the steps of one start under a journal record: whatever step fails, the session (if the
 * start made one) is ended before the error goes on. A lifecycle whose Describe failed after the
 * start throws a ResourceInitError that names the session.
 */
async function journaled<T>(
  ledger: SessionLedger,
  intent: SessionIntent,
  steps: (start: TrackedStart) => Promise<T>,
): Promise<T> {
  const start = ledger.intend(intent);
  try {
    return await steps(start);
  } catch (err) {
    const partial = isErrorNamed(err, "ResourceInitError") ? (err as ResourceInitError) : undefined;
    if (partial) start.started(partial.id);
    if (start.sessionId === undefined && refused(err)) {
      start.forget();
      throw err;
    }
    const ended = await start.end().then(
      () => true,
      (e: unknown) => {
        // The record stays: the tunnel's close, or the next run, ends it.
        ledger.log(`could not end the session of a failed start: ${logLine(e)}`);
        return false;
      },
    );
    if (!partial) throw err;
    // Not the lifecycle's partial-create error itself: its `properties` hold the session's token and URL.
    const what = ended ? "the tunnel ended that session" : "that session stays journaled, to be ended later";
    throw new Error(`${partial.message.replace(/\.$/, "")}; ${what}.`, { cause: partial.cause });
  }
}

function configured(lifecycle: Lifecycle, settings: ProviderSettings): Lifecycle {
  lifecycle.configure(settings);
  return lifecycle;
}

/** Ends a session through its resource's delete: an ended or unknown one counts as done. */
async function endById(lifecycle: Lifecycle, sessionId: string, region: string): Promise<string[]> {
  await lifecycle.delete(sessionId, { region });
  return [sessionId];
}

/** StartSession has no client token: the marker in the `Reason` is what names the session. */
async function endAwsIntent(
  settings: ProviderSettings,
  region: string,
  intent: AwsIntent,
): Promise<string[]> {
  const lifecycle = configured(ssmSessionLifecycle(), settings);
  const client = ssmClientFor(settings.aws, region);
  const ended: string[] = [];
  for await (const s of listSsmSessions(client, "Active", [{ key: "Target", value: intent.target }])) {
    if (s.reason === intent.reason) ended.push(...(await endById(lifecycle, s.sessionId, region)));
  }
  return ended;
}

/** Start a fresh session for new connections a minute before the URL expires. */
const ECS_URL_RENEW_MS = WEBSOCKET_URL_TTL_MS - 60_000;
/** Codes of a repeated start that mean no session can exist for it. */
const NO_SUCH_INSTANCE = ["InvalidInstance.NotFound", "InvalidRegionId.NotFound"];

/** StartTerminalSession again with the same ClientToken: the cloud answers with the session it made. */
async function endAlicloudIntent(
  settings: ProviderSettings,
  region: string,
  intent: AlicloudIntent,
  startedAt: string,
): Promise<string[]> {
  // A session this start made was never connected: once its URL has expired, nobody can.
  if (Date.now() - Date.parse(startedAt) >= WEBSOCKET_URL_TTL_MS) return [];
  const client = alicloudClientFor(settings, "ecs", region);
  let sessionId: string;
  try {
    ({ sessionId } = await startTerminalSession(client, { regionId: region, ...intent }));
  } catch (err) {
    if (hasErrorCode(err, ...NO_SUCH_INSTANCE)) return [];
    throw err;
  }
  return endById(configured(terminalSessionLifecycle(), settings), sessionId, region);
}

/**
 * Ends the session a journal record points to, whichever cloud's: by its id, else found from what
 * was journaled before the start. Resolves with the ids of the sessions ended (none: there was none).
 */
export async function endRecorded(record: JournalRecord, settings: ProviderSettings): Promise<string[]> {
  const aws = record.cloud === "aws";
  if (record.sessionId !== undefined) {
    const lifecycle = aws ? ssmSessionLifecycle() : terminalSessionLifecycle();
    return endById(configured(lifecycle, settings), record.sessionId, record.region);
  }
  return aws
    ? endAwsIntent(settings, record.region, record.intent!)
    : endAlicloudIntent(settings, record.region, record.intent!, record.startedAt);
}

/** Waits before each attempt to replace a failed SSM session; after the last, the tunnel stays closed. */
const REOPEN_DELAYS_MS = [0, 1_000, 5_000, 15_000];
/** A session that served this long starts the count of replacements afresh. */
const SERVED_MS = 60_000;

function endedBecause(end: ssm.SsmSessionEnd): string {
  const said = end.closeReason ? `: ${logLine(end.closeReason)}` : "";
  return `was ended by the ${end.closedBy}${said}`;
}

function awsSessions(
  spec: Extract<TunnelSpec, { cloud: "aws" }>,
  lifecycle: Lifecycle,
  urn: string,
): TunnelSessions {
  const t = spec.inputs;
  const documentName = t.remoteHost
    ? "AWS-StartPortForwardingSessionToRemoteHost"
    : "AWS-StartPortForwardingSession";

  interface Open {
    start: TrackedStart;
    sessionId: string;
    forward: ssm.SsmForward;
    openedAt: number;
  }
  const connect = async (ledger: SessionLedger): Promise<Open> => {
    const marker = randomBytes(6).toString("hex");
    const inputs = await checked(
      lifecycle,
      {
        region: t.region,
        target: t.target,
        documentName,
        parameters: {
          portNumber: [String(t.remotePort)],
          localPortNumber: [String(t.localPort)],
          ...(t.remoteHost ? { host: [t.remoteHost] } : {}),
        },
        reason: tunnelReason(urn, marker),
      },
      "awsTunnel",
    );
    const intent: AwsIntent = { target: t.target, documentName, reason: String(inputs.reason) };
    return journaled(
      ledger,
      { cloud: "aws", region: String(inputs.region), marker, intent },
      async (start) => {
        const { id, outs = {} } = await lifecycle.create(inputs);
        start.started(id);
        const forward = await ssm.forwardPort(
          { streamUrl: String(outs.streamUrl), tokenValue: String(outs.tokenValue) },
          { localPort: t.localPort, host: TUNNEL_HOST },
        );
        return { start, sessionId: id, forward, openedAt: Date.now() };
      },
    );
  };

  return {
    async open(ledger) {
      let current: Open | undefined = await connect(ledger);
      const closing = new AbortController();
      let reopening: Promise<void> | undefined;
      let attempts = 0;

      const replace = async (failed: Open, why: string) => {
        current = undefined;
        ledger.log(`session ${failed.sessionId} ${why}; opening a fresh session for new connections`);
        await failed.start.end().catch((e: unknown) => {
          ledger.log(`could not end session ${failed.sessionId}: ${logLine(e)}`);
        });
        if (Date.now() - failed.openedAt >= SERVED_MS) attempts = 0;
        while (attempts < REOPEN_DELAYS_MS.length) {
          await sleep(REOPEN_DELAYS_MS[attempts++], undefined, { signal: closing.signal });
          try {
            watch(await connect(ledger));
            return;
          } catch (err) {
            ledger.log(`could not open a fresh session: ${logLine(err)}`);
          }
          if (closing.signal.aborted) return;
        }
        ledger.log(
          `the tunnel stays closed until the next command: ${attempts} fresh sessions in a row ` +
            "failed to start or ended within a minute",
        );
      };
      const watch = (open: Open) => {
        current = open;
        void open.forward.done
          .then(
            (end) => endedBecause(end),
            (err: unknown) => `failed: ${logLine(err)}`,
          )
          .then((why) => {
            if (closing.signal.aborted) return;
            reopening = replace(open, why)
              .catch(() => undefined) // aborted by the tunnel's close
              .finally(() => (reopening = undefined));
          });
      };
      watch(current);

      return {
        stop: async () => {
          closing.abort();
          // A start in flight must have its record completed before the ledger ends them all.
          await reopening;
          await current?.forward.close();
        },
      };
    },
  };
}

function alicloudSessions(
  spec: Extract<TunnelSpec, { cloud: "alicloud" }>,
  lifecycle: Lifecycle,
  now: () => number,
): TunnelSessions {
  const t = spec.inputs;

  const start = async (ledger: SessionLedger) => {
    // One token per start: a repeated token would return the earlier (expired) session.
    const clientToken = randomUUID();
    const inputs = await checked(
      lifecycle,
      {
        region: t.region,
        instanceIds: [t.instanceId],
        portNumber: t.portNumber,
        targetServer: t.targetServer,
        connectionType: t.connectionType,
        clientToken,
      },
      "alicloudTunnel",
    );
    const intent: AlicloudIntent = {
      instanceIds: [t.instanceId],
      portNumber: t.portNumber,
      targetServer: t.targetServer,
      connectionType: t.connectionType,
      clientToken,
    };
    const region = String(inputs.region);
    return journaled(ledger, { cloud: "alicloud", region, marker: clientToken, intent }, async (tracked) => {
      const { id, outs = {} } = await lifecycle.create(inputs);
      tracked.started(id);
      return { sessionId: id, url: String(outs.webSocketUrl), at: now() };
    });
  };

  return {
    async open(ledger) {
      let current = await start(ledger);
      // Set when a connection failed: the session may be gone, so new connections get a fresh one.
      let failed = false;
      // Sessions whose URL aged stay up until the tunnel closes: their connections live on.
      let renewing: Promise<void> | undefined;
      const urlFor = async () => {
        if (failed || now() - current.at >= ECS_URL_RENEW_MS) {
          renewing ??= start(ledger)
            .then((next) => {
              current = next;
              failed = false;
            })
            .finally(() => (renewing = undefined));
          await renewing;
        }
        return current.url;
      };
      const forward = await ecs.forwardPort(urlFor, {
        localPort: t.localPort,
        host: TUNNEL_HOST,
        onConnectionError: (err) => {
          ledger.log(
            `a connection through session ${current.sessionId} failed: ${logLine(err)}; ` +
              "new connections get a fresh session",
          );
          failed = true;
        },
      });
      return {
        stop: async () => {
          await forward.close();
          await renewing?.catch(() => undefined);
        },
      };
    },
  };
}

/** The sessions of a tunnel, through the session resources' lifecycles configured with the provider's settings. */
export function tunnelSessions(
  spec: TunnelSpec,
  settings: ProviderSettings,
  urn: string,
  now: () => number = Date.now,
): TunnelSessions {
  return spec.cloud === "aws"
    ? awsSessions(spec, configured(ssmSessionLifecycle(), settings), urn)
    : alicloudSessions(spec, configured(terminalSessionLifecycle(), settings), now);
}
