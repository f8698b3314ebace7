/**
 * The tunnel in the plugin process: a `sessions` provider whose inputs hold `awsTunnel` or
 * `alicloudTunnel` opens the tunnel when the engine configures it and keeps it open until the
 * engine stops the plugin. The engine configures every provider a command needs before the first
 * step that uses one: during `up` when the program registers it, during `refresh` and `destroy`
 * from state before any read or delete. It stops plugins at the very end (SIGINT, then SIGKILL
 * after 5 s), after `up`'s deletes too; that is when the tunnel's sessions are ended. The tunnel
 * itself (inputs, sessions, journal) is `provider/tunnel/`, loaded once a provider holds a tunnel.
 */
import type { ProviderSettings } from "../provider/config";
import { onFirstUse } from "../provider/lifecycle";
import { tunnelSpecOf } from "../provider/tunnel/inputs";
import { logLine } from "../provider/tunnel/logLine";
import { engineLog, engineLogFlushed, type EngineLog } from "./engineLog";
import type * as TunnelModule from "../provider/tunnel/tunnel";
import type { Tunnel } from "../provider/tunnel/tunnel";
import type { TunnelAddress } from "../provider/tunnel/endpoint";
import {
  TUNNEL_DRY_RUN_INPUT,
  TUNNEL_ENDPOINT_TYPE,
  TUNNEL_HOST,
  TUNNEL_INPUTS,
} from "../sdk/contract/tunnel";

type Bag = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tunnelModule = onFirstUse(() => require("../provider/tunnel/tunnel") as typeof TunnelModule);

/** The tunnel a plugin process holds (one provider, one process), and its ending however the process ends. */
export class TunnelHost {
  private readonly open = new Set<Tunnel>();
  private watching = false;
  /** The configured tunnel's local port (also in a preview that opened nothing). */
  private port?: number;

  /** `log` takes each line (default: the engine's log, attributed to the tunnel's provider). */
  constructor(private readonly log: EngineLog = engineLog) {}

  /** Opens the tunnel of a provider configuration, unless it is a preview the user did not opt in to. */
  async configure(values: Bag, settings: ProviderSettings, urn: string): Promise<void> {
    const spec = tunnelSpecOf(values);
    this.port = spec?.inputs.localPort;
    if (!spec || values[TUNNEL_DRY_RUN_INPUT] === true) return;
    this.watch();
    // One line each, naming the tunnel, without secrets whatever a failure said: the engine shows them as they are.
    const name = urn.split("::").pop();
    // Configured once the port listens: the session starts beside the engine's next steps, and a
    // connection made before it is up waits for it.
    const tunnel = await tunnelModule().openTunnel(spec, settings, {
      urn,
      waitForSession: false,
      log: (m, severity) => this.log(`tunnel ${name}: ${logLine(m)}`, severity, urn),
    });
    this.open.add(tunnel);
  }

  /**
   * What a TunnelEndpoint reports: where to connect, known once the port listens. It does not wait
   * for the first session: what uses the endpoint then starts beside that session's start, as in
   * every later `up` (where the engine reads the endpoint from state), and as an Alibaba Cloud
   * tunnel always does. A session that cannot start is a warning line with the cloud's reason, and
   * the connections waiting for it are closed.
   */
  endpoint(): TunnelAddress {
    if (this.port === undefined)
      throw new Error(
        `${TUNNEL_ENDPOINT_TYPE} needs a sessions provider with ${TUNNEL_INPUTS.aws} or ${TUNNEL_INPUTS.alicloud} as its provider`,
      );
    return { host: TUNNEL_HOST, port: this.port };
  }

  /** Ends every tunnel's sessions (bounded, so the engine's 5 s before SIGKILL is enough). */
  async closeAll(): Promise<void> {
    const closing = [...this.open].map((t) =>
      t.close().catch((err: unknown) => this.log(logLine(err), "warning")),
    );
    this.open.clear();
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 4_000).unref())]);
  }

  /** Ends the tunnels on the engine's SIGINT/SIGTERM, and when the engine is gone without a word. */
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    // The lines of the close go out before the process does (the engine may drop them: docs/tunnels.md).
    const exit = () =>
      void this.closeAll()
        .then(() => engineLogFlushed(500))
        .finally(() => process.exit(0));
    process.once("SIGINT", exit);
    process.once("SIGTERM", exit);
    // Plugins run in a process group of their own: a killed CLI sends no signal to them.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) exit();
    }, 500).unref();
  }
}
