/**
 * The package's SSM client against the local cloud: the same cases the official plugin passes
 * (emulator/dataplane/ssm/plugin.test.ts), through our own codec, smux and data channel.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import { TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { roundTrip, startSsmTestCloud, type SsmTestCloud } from "../../emulator/dataplane/ssm/testing/cloud";
import { SsmSessionError, forwardPort, openShell, runCommand } from ".";
import { forwardSockets } from "./session";

let t: SsmTestCloud;

beforeAll(async () => {
  t = await startSsmTestCloud();
});

afterAll(async () => {
  await t.stop();
});

describe("the SSM client against the local cloud", () => {
  it("runs a shell on a terminal: its first size and TERM hold, a marker comes back, a resize applies, the session ends", async () => {
    const s = await t.start();
    const input = new PassThrough();
    const output = new PassThrough();
    let seen = "";
    output.on("data", (d: Buffer) => (seen += d.toString()));
    const shell = await openShell(
      { streamUrl: s.StreamUrl, tokenValue: s.TokenValue },
      { input, output, size: { cols: 100, rows: 30 } },
    );
    expect(shell.handshake.sessionType).toBe("Standard_Stream");
    // The first size is sent right after the handshake, before the agent's terminal exists.
    input.write('echo "size:$(stty size) term:$TERM"; echo MARK$((40+2))\r');
    while (!seen.includes("MARK42")) await new Promise((r) => setTimeout(r, 10));
    shell.resize({ cols: 132, rows: 43 });
    input.write("stty size; exit 0\r");
    const end = await shell.done;
    expect(end.closedBy).toBe("service");
    expect(seen).toContain("size:30 100 term:xterm-256color\r\n");
    expect(seen).toContain("MARK42");
    expect(seen).toMatch(/43 132/);
    expect(await t.status(s.SessionId)).toBe("Terminated");
  });

  it("runs a command and returns its output and non-zero exit code", async () => {
    const s = await t.start({
      DocumentName: "AWS-StartInteractiveCommand",
      Parameters: { command: ["echo from-command; exit 3"] },
    });
    const result = await runCommand({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue });
    expect(result.output.toString()).toContain("from-command");
    expect(result.exitCode).toBe(3);
    expect(result.end.closedBy).toBe("service");
  });

  it("forwards a port: 20 concurrent TCP connections over one session with bytes intact; TerminateSession ends it", async () => {
    const s = await t.start({
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(t.echoPort)] },
    });
    const fwd = await forwardPort({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue });
    expect(fwd.handshake.sessionType).toBe("Port");
    await Promise.all(Array.from({ length: 20 }, (_, i) => roundTrip(fwd.port, 30_000 + i * 1013)));
    await t.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
    expect((await fwd.done).closedBy).toBe("service");
    expect(await t.status(s.SessionId)).toBe("Terminated");
  });

  it("ends a forwarding session itself with the TerminateSession flag", async () => {
    const s = await t.start({
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(t.echoPort)] },
    });
    const fwd = await forwardPort({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue });
    await roundTrip(fwd.port, 5000);
    expect((await fwd.close()).closedBy).toBe("service");
    expect(await t.status(s.SessionId)).toBe("Terminated");
  });

  it("carries connections the caller accepted, without a listener of its own; refuses them once the session ended", async () => {
    const s = await t.start({
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(t.echoPort)] },
    });
    const fwd = await forwardSockets({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue });
    expect(fwd).not.toHaveProperty("port");
    // The caller's listener pauses what it accepts; the forward starts the flow.
    const handed: Socket[] = [];
    const refused: Socket[] = [];
    const listener = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
      if (fwd.accept(socket)) handed.push(socket);
      else refused.push(socket);
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const port = (listener.address() as AddressInfo).port;
    try {
      await Promise.all(Array.from({ length: 5 }, (_, i) => roundTrip(port, 20_000 + i * 977)));
      expect(handed).toHaveLength(5);
      await t.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
      expect((await fwd.done).closedBy).toBe("service");
      // Ended: a connection handed over now is left to the caller, untouched.
      const late = connect({ host: "127.0.0.1", port });
      late.on("error", () => undefined);
      await new Promise((r) => listener.once("connection", () => setImmediate(r)));
      expect(refused).toHaveLength(1);
      expect(refused[0].destroyed).toBe(false);
      refused[0].destroy();
    } finally {
      listener.close();
    }
    // The process goes on: a fresh session forwards as before.
    const next = await t.start({
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(t.echoPort)] },
    });
    const again = await forwardPort({ streamUrl: next.StreamUrl, tokenValue: next.TokenValue });
    await roundTrip(again.port, 4096);
    expect((await again.close()).closedBy).toBe("service");
  });

  it("reports a refused connection with the local cloud's reason", async () => {
    const s = await t.start();
    const wrongToken = runCommand({ streamUrl: s.StreamUrl, tokenValue: "not-the-token" });
    await expect(wrongToken).rejects.toThrow(SsmSessionError);
    await expect(wrongToken).rejects.toMatchObject({ code: "ConnectionClosed", closeCode: 1008 });
    await t.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
    await expect(runCommand({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue })).rejects.toMatchObject({
      code: "ConnectionRefused",
      message: `HTTP 410: Session ${s.SessionId} has ended: TerminateSession`,
    });
  });
});
