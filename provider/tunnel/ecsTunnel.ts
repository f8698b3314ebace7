/**
 * An Alibaba Cloud tunnel: ECS port-forwarding sessions (StartTerminalSession with PortNumber),
 * each TCP connection on a WebSocket of its own. There is nothing to resume: a connection whose
 * WebSocket drops is lost, as with the official client. What heals is the session: one that ended
 * (refused with 404/410) is replaced for the connection that found out and every later one, and
 * a session whose URL ages is renewed a minute before new connections could no longer use it.
 */
import { randomUUID } from "node:crypto";
import * as ecs from "../../client/ecs";
import { EcsSessionError } from "../../client/ecs/errors";
import {
  alicloudClientFor,
  listTerminalSessions,
  startTerminalSession,
  WEBSOCKET_URL_TTL_MS,
  type TerminalSessionRecord,
} from "../clients/alicloud";
import type { ProviderSettings } from "../config";
import type { Lifecycle } from "../lifecycle";
import { TUNNEL_HOST } from "../../sdk/contract/tunnel";
import type { AlicloudIntent } from "./journal";
import type { TunnelSpec } from "./schema";
import { logLine } from "./logLine";
import { checked, endById, journaled, type SessionLedger, type TunnelSessions } from "./sessions";

/** Start a fresh session for new connections a minute before the URL expires. */
const ECS_URL_RENEW_MS = WEBSOCKET_URL_TTL_MS - 60_000;
/** Connection statuses of a connection that is (or may become) open. */
const OPEN_CONNECTION = new Set(["Connecting", "Connected"]);
/** Connection statuses once EndTerminalSession ran. */
const ENDED_CONNECTION = new Set(["Terminating", "Terminated"]);

/** True when the error says the session itself is gone (ended, or its URL expired). */
const sessionGone = (err: Error) =>
  err instanceof EcsSessionError && (err.httpStatus === 404 || err.httpStatus === 410);

/**
 * A session an earlier run of this tunnel may have left: on the same instance, port and target
 * server, started by the same principal before `ours`, its URL still valid (else nobody can
 * connect any more), not ended, and with no connection open or opening.
 */
export function looksLeftOver(record: TerminalSessionRecord, ours: TerminalSessionRecord): boolean {
  const created = Date.parse(record.creationTime ?? "");
  const ourCreation = Date.parse(ours.creationTime ?? "");
  return (
    record.sessionId !== ours.sessionId &&
    record.principalId !== undefined &&
    record.principalId === ours.principalId &&
    record.portNumber === ours.portNumber &&
    record.targetServer === ours.targetServer &&
    created < ourCreation &&
    created > ourCreation - WEBSOCKET_URL_TTL_MS &&
    !record.connections.some(
      (c) => OPEN_CONNECTION.has(c.status ?? "") || ENDED_CONNECTION.has(c.status ?? ""),
    )
  );
}

export function ecsTunnel(
  spec: Extract<TunnelSpec, { cloud: "alicloud" }>,
  settings: ProviderSettings,
  lifecycle: Lifecycle,
  now: () => number,
): TunnelSessions {
  const t = spec.inputs;
  /** The first session's id and region, for finding what earlier runs left. */
  let first: { sessionId: string; region: string } | undefined;

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
      const client = alicloudClientFor(settings, "ecs", region);
      const { sessionId, webSocketUrl } = await startTerminalSession(client, { regionId: region, ...intent });
      tracked.started(sessionId);
      first ??= { sessionId, region };
      return { sessionId, url: String(webSocketUrl), at: now() };
    });
  };

  return {
    async open(ledger) {
      let current = await start(ledger);
      // Why the session was found gone, once it was: new connections get a fresh one.
      let gone: string | undefined;
      // Sessions whose URL aged stay up until the tunnel closes: their connections live on.
      let renewing: Promise<void> | undefined;
      const urlFor = async () => {
        const aged = now() - current.at >= ECS_URL_RENEW_MS;
        if (gone !== undefined || aged) {
          renewing ??= start(ledger)
            .then((next) => {
              ledger.event(
                gone !== undefined ? "replacement" : "renewal",
                gone !== undefined
                  ? `session ${current.sessionId} is gone (${gone}); session ${next.sessionId} serves new connections`
                  : `session ${current.sessionId}'s URL is about to expire; session ${next.sessionId} serves new connections`,
                gone !== undefined ? "warning" : "info",
              );
              current = next;
              gone = undefined;
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
          if (!sessionGone(err))
            ledger.log(
              `a connection through session ${current.sessionId} failed: ${logLine(err)}`,
              "warning",
            );
          else gone ??= logLine(err);
        },
      });
      return {
        ready: Promise.resolve(),
        stop: async () => {
          await forward.close();
          await renewing?.catch(() => undefined);
        },
      };
    },

    async endLeftovers(ledger, ours) {
      if (!first) return;
      const { region, sessionId } = first;
      const records: TerminalSessionRecord[] = [];
      const client = alicloudClientFor(settings, "ecs", region);
      for await (const r of listTerminalSessions(client, { regionId: region, instanceId: t.instanceId }))
        records.push(r);
      const mine = records.find((r) => r.sessionId === sessionId);
      if (!mine) return; // not listed yet: the next run looks again
      for (const r of records) {
        if (!looksLeftOver(r, mine) || ours(r.sessionId)) continue;
        await endById(lifecycle, r.sessionId, region);
        ledger.log(
          `ended session ${r.sessionId}: same instance, port, target server and principal, started ` +
            `before this run and unused (likely left by an earlier run of this tunnel)`,
        );
      }
    },
  };
}
