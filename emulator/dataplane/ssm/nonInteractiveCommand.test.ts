/**
 * NonInteractiveCommands on the local cloud, as the SSM agent runs them: stdout and stderr apart
 * (Output and StdErr payloads), the exit code as an ExitCode payload, no stdin, and Ctrl-C in the
 * input as SIGINT.
 */
import { PassThrough } from "node:stream";
import { runCommand } from "../../../client/ssm/session";
import { exitStatus } from "../processPipe";
import { NonInteractiveCommand } from "./nonInteractiveCommand";
import { startSsmTestCloud, type SsmTestCloud } from "./testing/cloud";

let t: SsmTestCloud;

beforeAll(async () => {
  t = await startSsmTestCloud();
});

afterAll(async () => {
  await t.stop();
});

const start = (command: string) =>
  t.start({ DocumentName: "AWS-StartNonInteractiveCommand", Parameters: { command: [command] } });

describe("NonInteractiveCommands", () => {
  it("sends stdout and stderr apart and the exit code; the command reads no stdin", async () => {
    const s = await start("echo out; echo err >&2; cat; echo after-cat; exit 4");
    const input = new PassThrough();
    const running = runCommand({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue }, { input });
    input.write("typed, never read\n");
    const result = await running;
    expect(result.output.toString()).toBe("out\nafter-cat\n");
    expect(result.stderr.toString()).toBe("err\n");
    expect(result.exitCode).toBe(4);
    expect(result.end.closedBy).toBe("service");
    expect(await t.status(s.SessionId)).toBe("Terminated");
  });

  it("turns Ctrl-C in the input into SIGINT (exit 130), then serves the next session", async () => {
    const s = await start("echo started; exec sleep 30");
    const input = new PassThrough();
    const running = runCommand({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue }, { input });
    setTimeout(() => input.write("x\x03"), 300);
    const result = await running;
    expect(result.output.toString()).toBe("started\n");
    expect(result.exitCode).toBe(130);
    const again = await start("echo next");
    const ok = await runCommand({ streamUrl: again.StreamUrl, tokenValue: again.TokenValue });
    expect(ok).toMatchObject({ exitCode: 0 });
    expect(ok.output.toString()).toBe("next\n");
  });
});

describe("NonInteractiveCommand", () => {
  it("takes only the control bytes of the input: Ctrl-\\ is SIGQUIT (exit 131), other bytes nothing", async () => {
    let output = "";
    let pipe!: NonInteractiveCommand;
    const status = new Promise<number>((resolve, reject) => {
      pipe = new NonInteractiveCommand("echo started; exec sleep 30", "s-1", {
        onReady: () => undefined,
        onData: (d) => (output += d.toString()),
        onEnd: (code, signal) => resolve(exitStatus(code, signal)),
        onError: reject,
      });
    });
    for (let i = 0; i < 250 && output === ""; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pipe.write(Buffer.from("typed\n"))).toBe(true);
    pipe.write(Buffer.from("x\x1c\x03"));
    expect(await status).toBe(131);
    expect(output).toBe("started\n");
  });
});
