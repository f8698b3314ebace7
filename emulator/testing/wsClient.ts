/** Test helper: a WebSocket client for the data plane that collects output and the close. */
import { WebSocket } from "ws";

export interface SessionSocket {
  ws: WebSocket;
  /** Binary output received so far. */
  output(): string;
  /** Text (control) messages received so far, parsed. */
  controls: Array<Record<string, unknown>>;
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the output contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

export function connectSession(url: string, headers?: Record<string, string>): SessionSocket {
  const ws = new WebSocket(url, { headers });
  const chunks: Buffer[] = [];
  const controls: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) chunks.push(buf);
    else controls.push(JSON.parse(buf.toString("utf8")) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  const output = () => Buffer.concat(chunks).toString("utf8");
  return {
    ws,
    output,
    controls,
    opened: new Promise((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    }),
    closed: new Promise((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    ),
    waitFor(text, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`timed out waiting for ${JSON.stringify(text)}; got ${JSON.stringify(output())}`),
            ),
          timeoutMs,
        );
        const check = () => {
          if (output().includes(text)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            resolve();
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}

/** Status code of a refused handshake (404, 403, 410...). */
export function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("handshake unexpectedly accepted"));
    });
    ws.once("error", () => undefined);
  });
}
