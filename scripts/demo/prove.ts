/**
 * Proves the demo's sessions work: connects to the terminal session's WebSocket URL with the
 * package's own Session Manager client and prints the command's output and exit status, then
 * pushes bytes through the port-forwarding sessions to a TCP echo service and checks they come
 * back. Reads `pulumi stack output --json --show-secrets` on stdin; the echo port is the first
 * argument. Never prints a URL or token.
 */
import * as net from "node:net";
import * as ecs from "../../client/ecs";
import * as ssm from "../../client/ssm";

interface Outputs {
  commandWebSocketUrl: string;
  forwardWebSocketUrl: string;
  ssmStreamUrl: string;
  ssmTokenValue: string;
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

/** Sends `payload` to a local TCP port and resolves with what came back. */
function echoThroughPort(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(payload));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.length >= payload.length) socket.end();
    });
    socket.on("close", () => resolve(received));
    socket.on("error", reject);
  });
}

/** Sends `payload` through a forwarded local port, then closes the forward. */
async function echoThrough(
  forward: { port: number; close(): Promise<unknown> },
  payload: string,
): Promise<string> {
  try {
    return await echoThroughPort(forward.port, payload);
  } finally {
    await forward.close();
  }
}

async function main(): Promise<void> {
  const echoPort = Number(process.argv[2]);
  const outputs = JSON.parse(await readStdin()) as Outputs;
  const echo = net.createServer((socket) => socket.pipe(socket)).listen(echoPort, "127.0.0.1");
  try {
    const result = await withTimeout("terminal session", ecs.runCommand(outputs.commandWebSocketUrl));
    // The command ran on a terminal, whose lines end in \r\n.
    const output = result.output.toString("utf8").replace(/\r\n/g, "\n");
    console.log("terminal session: the command's output through its WebSocket URL:");
    for (const line of output.trimEnd().split("\n")) console.log(`  | ${line}`);
    console.log(`  (exit status ${result.exitCode ?? "not reported"}, closed with "${result.reason ?? ""}")`);
    if (!output.includes("hello from the terminal session"))
      throw new Error("the command's output is missing");
    if (result.exitCode !== 0) throw new Error(`the command exited with status ${result.exitCode}`);

    // ECS: one WebSocket per connection, as `ali-instance-cli portforward` does; SSM: connections
    // multiplexed over the one session, as `session-manager-plugin` does.
    for (const [name, open] of [
      ["ECS port forwarding", () => ecs.forwardPort(outputs.forwardWebSocketUrl)],
      [
        "SSM port forwarding",
        () => ssm.forwardPort({ streamUrl: outputs.ssmStreamUrl, tokenValue: outputs.ssmTokenValue }),
      ],
    ] as const) {
      const payload = `ping through the ${name} session ${Date.now()}`;
      const echoed = await withTimeout(
        name,
        open().then((forward) => echoThrough(forward, payload)),
      );
      console.log(
        `${name}: sent ${Buffer.byteLength(payload)} bytes to 127.0.0.1:${echoPort}, got back: "${echoed}"`,
      );
      if (echoed !== payload) throw new Error(`the bytes through the ${name} session came back changed`);
    }
    console.log("Against Alibaba Cloud, the official Session Manager client connects the same way:");
    console.log(
      '  ali-instance-cli session --wss-url "$(pulumi stack output commandWebSocketUrl --show-secrets)"',
    );
    console.log(
      "  ali-instance-cli portforward --instance <instance id> --local-port 8080 --remote-port <port>",
    );
    console.log("and on AWS, the AWS CLI runs the official session-manager-plugin:");
    console.log(
      "  aws ssm start-session --target <instance id> --document-name AWS-StartPortForwardingSession --parameters portNumber=<port>,localPortNumber=8080",
    );
    console.log("and so do ours, against either cloud:");
    console.log("  npx pulumi-sessions connect --output commandWebSocketUrl");
    console.log("  npx pulumi-sessions forward --output forwardWebSocketUrl --local-port 8080");
  } finally {
    echo.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
