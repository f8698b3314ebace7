/**
 * An SSM tunnel: port-forwarding sessions (`AWS-StartPortForwardingSession[ToRemoteHost]`) behind
 * the tunnel's own listener (frontDoor.ts), which hands each connection straight to the session.
 *
 * A dropped data channel is resumed by the client (ResumeSession, with credentials resolved afresh
 * each time), and every connection goes on. A session that ends anyway (terminated by someone
 * else, the idle timeout or the maximum duration, resumes failing past their budget) is replaced:
 * connections made meanwhile wait for the fresh session. Each such event is one log line.
 */
import { randomBytes } from "node:crypto";
import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import * as ssm from "../../client/ssm";
import { isLiveSsmSession, listSsmSessions, resumeSession, ssmClientFor, startSession } from "../clients/aws";
import type { ProviderSettings } from "../config";
import type { Lifecycle } from "../lifecycle";
import { TUNNEL_HOST } from "../../sdk/contract/tunnel";
import { openFrontDoor } from "./frontDoor";
import type { AwsIntent } from "./journal";
import type { TunnelSpec } from "./schema";
import {
  checked,
  endById,
  journaled,
  MARKER_LENGTH,
  tunnelReason,
  tunnelReasonPrefix,
  type SessionLedger,
  type TrackedStart,
  type TunnelSessions,
} from "./sessions";
import { logLine } from "./logLine";

/**
 * Waits before each attempt to replace a session that ended; when all have failed, the next
 * connection tries once more (a tunnel of a long deployment must not stay closed for its rest).
 */
const REOPEN_DELAYS_MS = [0, 1_000, 5_000, 15_000];
/** A session that served this long starts the count of replacements afresh. */
const SERVED_MS = 60_000;

interface Open {
  start: TrackedStart;
  sessionId: string;
  forward: ssm.SsmSocketForward;
  openedAt: number;
}

function endedBecause(end: ssm.SsmSessionEnd): string {
  const said = end.closeReason ? `: ${logLine(end.closeReason)}` : "";
  return `was ended by the ${end.closedBy}${said}`;
}

export function ssmTunnel(
  spec: Extract<TunnelSpec, { cloud: "aws" }>,
  settings: ProviderSettings,
  lifecycle: Lifecycle,
  urn: string,
): TunnelSessions {
  const t = spec.inputs;
  const documentName = t.remoteHost
    ? "AWS-StartPortForwardingSessionToRemoteHost"
    : "AWS-StartPortForwardingSession";
  /** The region the check resolved (input, else the stack's), known from the first start on. */
  let region: string | undefined;

  /** Starts a session, ready for the connections the tunnel's listener hands it. */
  const connect = async (ledger: SessionLedger): Promise<Open> => {
    const marker = randomBytes(MARKER_LENGTH / 2).toString("hex");
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
    const client = ssmClientFor(settings.aws, String(inputs.region));
    region = client.region;
    const intent: AwsIntent = { target: t.target, documentName, reason: String(inputs.reason) };
    return journaled(ledger, { cloud: "aws", region: client.region, marker, intent }, async (start) => {
      const started = await startSession(client, {
        target: t.target,
        documentName,
        reason: intent.reason,
        parameters: inputs.parameters as Record<string, string[]>,
      });
      const sessionId = started.sessionId;
      start.started(sessionId);
      const forward = await ssm.forwardSockets(
        { sessionId, streamUrl: String(started.streamUrl), tokenValue: String(started.tokenValue) },
        {
          // A client of its own each time: temporary credentials are read afresh.
          resume: async () => resumeSession(ssmClientFor(settings.aws, client.region), sessionId),
          onReconnect: ({ attempt, reason, outcome }) => {
            if (outcome === "retrying") return;
            const tries = attempt === 1 ? "" : ` after ${attempt} attempts`;
            if (outcome === "resumed")
              ledger.event(
                "resume",
                `session ${sessionId} resumed${tries}; its connection had dropped: ${logLine(reason)}`,
              );
            else
              ledger.log(`session ${sessionId} could not be resumed${tries}: ${logLine(reason)}`, "warning");
          },
        },
      );
      return { start, sessionId, forward, openedAt: Date.now() };
    });
  };

  return {
    async open(ledger) {
      const closing = new AbortController();
      let current: Open | undefined;
      /** A lone start in flight (the first, or one a connection asked for). */
      let starting: Promise<Open> | undefined;
      /** Replacing a session that ended: resolves with the fresh one, or undefined past the retries. */
      let healing: Promise<Open | undefined> | undefined;
      let attempts = 0;

      const startOnce = () =>
        (starting ??= connect(ledger)
          .then(watch)
          .finally(() => (starting = undefined)));
      /** A start for the connections waiting: one that fails is one warning line, however many waited. */
      const startForConnections = () => {
        const inFlight = starting;
        const start = startOnce();
        if (start !== inFlight)
          start.catch((err: unknown) => {
            if (!closing.signal.aborted)
              ledger.log(
                "could not start a session (the connections waiting for it were closed; the next one " +
                  `tries again): ${logLine(err)}`,
                "warning",
              );
          });
        return start;
      };

      const replace = async (failed: Open, why: string): Promise<Open | undefined> => {
        ledger.event(
          "replacement",
          `session ${failed.sessionId} ${why}; starting a fresh session for new connections`,
          "warning",
        );
        // Ended beside the fresh start: the connections waiting need only the latter.
        void failed.start.end().catch((e: unknown) => {
          ledger.log(`could not end session ${failed.sessionId}: ${logLine(e)}`, "warning");
        });
        if (Date.now() - failed.openedAt >= SERVED_MS) attempts = 0;
        while (attempts < REOPEN_DELAYS_MS.length) {
          await sleep(REOPEN_DELAYS_MS[attempts++], undefined, { signal: closing.signal });
          try {
            return await startOnce();
          } catch (err) {
            ledger.log(`could not start a fresh session: ${logLine(err)}`, "warning");
          }
        }
        ledger.log(
          `no session for now: ${attempts} fresh sessions in a row failed to start or ended within a minute; ` +
            "the next connection tries again",
          "warning",
        );
        return undefined;
      };

      const watch = (open: Open): Open => {
        current = open;
        void open.forward.done
          .then(endedBecause, (err: unknown) => `failed: ${logLine(err)}`)
          .then((why) => {
            if (closing.signal.aborted) return;
            current = undefined;
            healing = replace(open, why)
              .catch(() => undefined) // aborted by the tunnel's close
              .finally(() => (healing = undefined));
          });
        return open;
      };

      // Listening first: a port in use fails before any session exists, and the session's start
      // runs beside what the engine does next (the connections made meanwhile wait for it).
      const door = await openFrontDoor(TUNNEL_HOST, t.localPort, async () => {
        const open = current ?? (await (healing ?? startForConnections()));
        if (!open) throw new Error("no session");
        return open.forward.accept;
      });
      // Started once this turn's answer is out: loading the SDK and the start's first steps would
      // otherwise hold the engine's Configure answer back (in a destroy, the engine starts the
      // other providers' plugins only after it).
      // A tunnel closed before then starts none.
      const ready = setImmediate(undefined, { signal: closing.signal })
        .then(() => current ?? startForConnections())
        .then(() => undefined);
      ready.catch(() => undefined); // said by startForConnections, or closed first

      return {
        ready,
        stop: async () => {
          closing.abort();
          await door.close();
          // A start in flight must have its record completed before the ledger ends them all.
          await Promise.all([healing, starting?.catch(() => undefined)]);
          // The ledger's TerminateSession ends the session for good: the agent's answer to the
          // flag is not waited for.
          void current?.forward.close();
        },
      };
    },

    async endLeftovers(ledger, ours) {
      if (region === undefined) return;
      const prefix = tunnelReasonPrefix(urn);
      const client = ssmClientFor(settings.aws, region);
      const found: string[] = [];
      // DescribeSessions filters by Target, not by Reason: the prefix is matched here. A session
      // still Connected has a client (another run of this stack at this moment): it is left alone.
      for await (const s of listSsmSessions(client, "Active", [{ key: "Target", value: t.target }])) {
        const unattended = isLiveSsmSession(s) && s.status !== "Connected";
        if (unattended && s.reason?.startsWith(prefix) && !ours(s.sessionId)) found.push(s.sessionId);
      }
      for (const sessionId of found) {
        await endById(lifecycle, sessionId, client.region);
        ledger.log(
          `ended session ${sessionId}, left open by an earlier run of this tunnel (found by its reason)`,
        );
      }
    },
  };
}
