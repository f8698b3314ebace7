/**
 * Proves the demo's sessions work: connects to the terminal session's WebSocket URL and
 * prints the command's output, then pushes bytes through the port-forwarding session to a
 * TCP echo service and checks they come back. Reads `pulumi stack output --json
 * --show-secrets` on stdin; the echo port is the first argument.
 */
import * as net from "node:net";
import WebSocket from "ws";

interface Outputs {
  commandWebSocketUrl: string;
  forwardWebSocketUrl: string;
  ssmStreamUrl: string;
}

const TIMEOUT_MS = 15_000;

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => (text += chunk));
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
}

function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS),
    ),
  ]);
}

/** Everything the command printed, until the session closes the socket. */
function runCommand(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let output = "";
    ws.on("message", (data, isBinary) => {
      if (isBinary) output += data.toString();
    });
    ws.on("close", () => resolve(output));
    ws.on("error", reject);
  });
}

/** Sends `payload` through the forwarded port and resolves with what came back. */
function echoThrough(url: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let received = "";
    ws.on("open", () => ws.send(Buffer.from(payload)));
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return;
      received += data.toString();
      if (received.length >= payload.length) {
        ws.close();
        resolve(received);
      }
    });
    ws.on("error", reject);
  });
}

async function main(): Promise<void> {
  const echoPort = Number(process.argv[2]);
  const outputs = JSON.parse(await readStdin()) as Outputs;
  const echo = net.createServer((socket) => socket.pipe(socket)).listen(echoPort, "127.0.0.1");
  try {
    const output = await withTimeout("terminal session", runCommand(outputs.commandWebSocketUrl));
    console.log("terminal session: the command's output through its WebSocket URL:");
    for (const line of output.trimEnd().split("\n")) console.log(`  | ${line}`);
    if (!output.includes("hello from the terminal session"))
      throw new Error("the command's output is missing");

    for (const [name, url] of [
      ["ECS port forwarding", outputs.forwardWebSocketUrl],
      ["SSM port forwarding", outputs.ssmStreamUrl],
    ]) {
      const payload = `ping through the ${name} session ${Date.now()}`;
      const echoed = await withTimeout(name, echoThrough(url, payload));
      console.log(
        `${name}: sent ${Buffer.byteLength(payload)} bytes to 127.0.0.1:${echoPort}, got back: "${echoed}"`,
      );
      if (echoed !== payload) throw new Error(`the bytes through the ${name} session came back changed`);
    }
  } finally {
    echo.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
