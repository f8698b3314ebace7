/**
 * A tunnel: a local port that forwards through a session until closed. Opening first ends what a
 * crashed run of the same tunnel left behind (the journal); every session is journaled before it
 * is used and ended when the tunnel closes.
 */
import type { ConfigSource } from "../config";
import type { TunnelSpec } from "../schemas/tunnel";
import { TunnelJournal } from "./journal";
import { tunnelSessions, type StartedSession } from "./sessions";

export interface Tunnel {
  /** The local port. */
  port: number;
  /** Sessions started so far (one, plus one per renewal on Alibaba Cloud). */
  readonly sessions: readonly StartedSession[];
  /** Stops forwarding and ends every session; resolves when all are ended. */
  close(): Promise<void>;
}

export interface OpenTunnelOptions {
  /** The tunnel's provider URN: names it in the journal and the sessions' reason. */
  urn: string;
  journal?: TunnelJournal;
  /** Told of leftovers ended and of failures to end them (they stay journaled). */
  log?: (message: string) => void;
  /** The clock that ages Alibaba Cloud session URLs (tests). */
  now?: () => number;
}

export async function openTunnel(
  spec: TunnelSpec,
  config: ConfigSource,
  options: OpenTunnelOptions,
): Promise<Tunnel> {
  const journal = options.journal ?? new TunnelJournal();
  const log = options.log ?? (() => {});
  const sessions = await tunnelSessions(spec, config, options.urn, options.now);

  for (const orphan of journal.orphans(options.urn)) {
    try {
      await sessions.end(orphan);
      journal.remove(orphan.sessionId);
      log(`ended session ${orphan.sessionId}, left open by an earlier run that did not finish`);
    } catch (err) {
      log(`could not end session ${orphan.sessionId} left by an earlier run: ${(err as Error).message}`);
    }
  }

  const started: StartedSession[] = [];
  const record = (s: StartedSession) => {
    started.push(s);
    journal.add({
      cloud: spec.cloud,
      sessionId: s.sessionId,
      region: s.region,
      urn: options.urn,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
  };
  const endAll = async () => {
    const failures: string[] = [];
    await Promise.all(
      started.map(async (s) => {
        try {
          await sessions.end(s);
          journal.remove(s.sessionId);
        } catch (err) {
          failures.push(`${s.sessionId}: ${(err as Error).message}`);
        }
      }),
    );
    if (failures.length > 0)
      throw new Error(`the tunnel could not end ${failures.length} session(s): ${failures.join("; ")}`);
  };

  let forwarder;
  try {
    forwarder = await sessions.open(record);
  } catch (err) {
    await endAll().catch((e: unknown) => log((e as Error).message));
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    port: spec.inputs.localPort,
    sessions: started,
    close: () =>
      (closing ??= (async () => {
        await forwarder.stop();
        await endAll();
      })()),
  };
}
