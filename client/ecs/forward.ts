/**
 * Local port forwarding through an ECS port-forwarding session (StartTerminalSession with
 * PortNumber): every TCP connection accepted locally rides a WebSocket of its own to the
 * session's URL, as with the official client.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { EcsChannel, type EcsChannelOptions } from "./channel";
import { EcsSessionError } from "./errors";
import type { ForwardOptions } from "../options";
import type { SessionProtocolError } from "../protocolError";

export interface EcsForwardOptions extends ForwardOptions, EcsChannelOptions {
  /**
   * How long to hold a connection's first bytes when the far end has not spoken yet. Alibaba's
   * agent drops input that arrives before it has dialled the target, so the official client waits
   * 3 s; output from the far end ends the wait early. Default 3000.
   */
  startDelayMs?: number;
  /**
   * Told when a connection's WebSocket could not be opened, or its far end broke the protocol or
   * went silent (SessionProtocolError); the local socket is closed, other connections go on.
   */
  onConnectionError?(error: EcsSessionError | SessionProtocolError | Error): void;
}

export interface EcsForward {
  /** The local port being listened on. */
  port: number;
  /** Connections open right now. */
  readonly active: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Listens locally and forwards each connection through the session at `url`: a WebSocket URL,
 * or a function asked for one at each connection (a tunnel renews its session as URLs age).
 */
export async function forwardPort(
  url: string | (() => Promise<string>),
  options: EcsForwardOptions = {},
): Promise<EcsForward> {
  const urlFor = typeof url === "string" ? async () => url : url;
  const renewable = typeof url !== "string";
  const sockets = new Set<Socket>();
  const channels = new Set<EcsChannel>();
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy()); // a reset before the WebSocket is up
    void bridge(socket);
  });

  async function bridge(socket: Socket): Promise<void> {
    let holding = true;
    /** The WebSocket has more input in flight than its high-water mark. */
    let backedUp = false;
    /** When the far end's announced rate (status 7) lets us send again. */
    let nextSendAt = 0;
    let paceTimer: NodeJS.Timeout | undefined;
    const flowing = () => {
      if (!holding && !backedUp && paceTimer === undefined && !socket.destroyed) socket.resume();
    };
    const release = () => {
      if (!holding) return;
      holding = false;
      flowing();
    };
    let channel: EcsChannel;
    const open = async (): Promise<EcsChannel> =>
      EcsChannel.open(
        await urlFor(),
        {
          onOutput(data) {
            release();
            channel.deliver(socket, data);
          },
          onDrain() {
            backedUp = false;
            flowing();
          },
          onEnd(end) {
            channels.delete(channel);
            if (paceTimer) clearTimeout(paceTimer);
            if (end.error) {
              socket.destroy();
              options.onConnectionError?.(end.error);
            } else socket.end();
          },
        },
        options,
      );
    try {
      channel = await open().catch(async (err: unknown) => {
        // A session ended or expired under us: the caller, told first, may hand out a fresh URL,
        // so this connection gets one more try instead of being lost.
        const ended = err instanceof EcsSessionError && (err.httpStatus === 404 || err.httpStatus === 410);
        if (!ended || !renewable) throw err;
        options.onConnectionError?.(err);
        return open();
      });
    } catch (err) {
      socket.destroy();
      options.onConnectionError?.(err as Error);
      return;
    }
    if (socket.destroyed) {
      channel.close();
      return;
    }
    channels.add(channel);
    const hold = setTimeout(release, options.startDelayMs ?? 3000);
    hold.unref();

    socket.on("data", (chunk: Buffer) => {
      if (!channel.write(chunk)) {
        backedUp = true;
        socket.pause();
      }
      const rate = channel.sendRate;
      if (rate === undefined) return;
      const now = Date.now();
      nextSendAt = Math.max(now, nextSendAt) + (chunk.length / rate) * 1000;
      if (nextSendAt - now > 20) {
        socket.pause();
        paceTimer = setTimeout(() => {
          paceTimer = undefined;
          flowing();
        }, nextSendAt - now);
      }
    });
    // The local peer is done sending: say so, and keep reading what the target still sends.
    socket.once("end", () => {
      clearTimeout(hold);
      void channel.closeInput();
    });
    socket.once("close", () => {
      clearTimeout(hold);
      channel.close();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.localPort ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    get active() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of channels) c.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
