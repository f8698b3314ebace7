/**
 * Local port forwarding through an ECS port-forwarding session (StartTerminalSession with
 * PortNumber): every TCP connection accepted locally rides a WebSocket of its own to the
 * session's URL, as with the official client.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { EcsChannel, type EcsChannelOptions } from "./channel";
import { EcsSessionError } from "./errors";
import { InputPacer } from "./pacer";
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
   * Told when a connection's WebSocket could not be opened, dropped (SessionProtocolError
   * `UnexpectedClose`), or its far end broke the protocol or went silent (SessionProtocolError);
   * the local socket is reset, other connections go on, and new ones get a WebSocket of their own.
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
    const flowing = () => {
      if (!holding && !pacer.busy && !socket.destroyed && socket.isPaused()) socket.resume();
    };
    const release = () => {
      if (!holding) return;
      holding = false;
      flowing();
    };
    let channel: EcsChannel;
    const pacer = new InputPacer(
      { sendRate: () => channel.sendRate, write: (piece) => channel.write(piece) },
      flowing,
    );
    const open = async (): Promise<EcsChannel> =>
      EcsChannel.open(
        await urlFor(),
        {
          onOutput(data) {
            release();
            channel.deliver(socket, data);
          },
          onDrain: () => pacer.drained(),
          onEnd(end) {
            channels.delete(channel);
            pacer.stop();
            if (end.error) {
              // A reset, not a FIN: bytes in flight are lost (ECS cannot resume a connection), and
              // the local program must not take what it got for the whole stream.
              if (!socket.destroyed) socket.resetAndDestroy();
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
      pacer.push(chunk);
      if (pacer.busy) socket.pause();
    });
    // The local peer is done sending: say so, and keep reading what the target still sends.
    socket.once("end", () => {
      clearTimeout(hold);
      void channel.closeInput();
    });
    socket.once("close", () => {
      clearTimeout(hold);
      pacer.stop();
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
