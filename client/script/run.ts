/**
 * One script run over a connected session, whatever the cloud: waits for the far end to be ready,
 * sends the payload with the connection's back-pressure, collects the output, and settles with
 * the exit code, or with a ScriptError (timeout, abort, the session ending first). Every way out
 * closes the connection; ending the session itself (End / Terminate) is the caller's.
 */
import { randomBytes } from "node:crypto";
import { OutputDemux } from "./demux";
import { ScriptError, type ScriptErrorCode } from "./errors";
import { encodePayload } from "./payload";

export interface ScriptRun {
  /** Any length, any bytes. */
  script: string | Buffer;
  /** Values may be secrets: they travel only in the session's input. */
  environment?: Record<string, string>;
  /** The script's stdin; binary-safe. */
  stdin?: Buffer;
  timeoutMs: number;
  /** Aborting stops the run and closes the session's connection. */
  signal?: AbortSignal;
  /** Output as it comes, for a live log. */
  onOutput?(stream: "stdout" | "stderr", chunk: Buffer): void;
}

export interface ScriptResult {
  stdout: Buffer;
  /** Empty when the session merges the streams. */
  stderr: Buffer;
  exitCode: number;
  /** True when stdout and stderr arrive as one stream (a terminal that has both). */
  merged: boolean;
}

/** The connection a run drives. */
export interface ScriptTransport {
  /** Sends input; resolves once the connection can take more. */
  send(data: Buffer): Promise<void>;
  close(): void;
}

/** How long, after the trailer, the far end gets to end the session itself (its clean-up runs). */
const CLOSE_GRACE_MS = 2000;
/** Pieces the payload is handed to the connection in (it splits them further into messages). */
const SEND_PIECE = 64 * 1024;
/** What a failure's output tail holds at most. */
const TAIL_LINES = 20;
const TAIL_BYTES = 4096;

export class ScriptSession {
  readonly result: Promise<ScriptResult>;
  /** Fires on timeout and abort: hand it to the connection's opening. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private settle!: { resolve(r: ScriptResult): void; reject(e: ScriptError): void };
  private settled = false;
  private transport?: ScriptTransport;
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private tail = Buffer.alloc(0);
  private exitCode?: number;
  private readonly demux: OutputDemux;
  private readonly timer: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;
  private readonly onAbort = () => this.fail("Aborted", "the run was aborted");

  constructor(
    private readonly run: ScriptRun,
    private readonly separateStderr: boolean,
  ) {
    this.signal = this.controller.signal;
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    const nonce = randomBytes(16).toString("hex");
    this.demux = new OutputDemux(nonce, {
      onReady: () => void this.sendPayload(nonce),
      onStdout: (chunk) => this.collect("stdout", chunk),
      onStderr: (chunk) => this.collect("stderr", chunk),
      onExit: (code) => this.exited(code),
      onProtocolError: (reason) => this.fail("Protocol", `the far end broke the script protocol: ${reason}`),
    });
    this.timer = setTimeout(
      () => this.fail("Timeout", `the script did not finish within ${run.timeoutMs} ms`),
      run.timeoutMs,
    );
    if (run.signal?.aborted) queueMicrotask(this.onAbort);
    else run.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** The connection is open. */
  attach(transport: ScriptTransport): void {
    this.transport = transport;
    if (this.settled) transport.close();
  }

  /** Terminal output from the far end. */
  output(chunk: Buffer): void {
    this.demux.feed(chunk);
  }

  /** Stderr the session itself keeps apart (an agent's StdErr payload). */
  stderrOutput(chunk: Buffer): void {
    this.collect("stderr", chunk);
  }

  /** The connection ended; `how` says how, for the error when the run had not finished. */
  ended(how: string): void {
    if (this.exitCode !== undefined) return this.finish();
    const setup = this.demux.preamble.trim();
    this.fail(
      "SessionEnded",
      `the session ended before the script reported an exit code (${how})` +
        (setup ? `: ${setup.slice(-200)}` : ""),
    );
  }

  /** The connection could not open, or failed. */
  failed(err: Error): void {
    if (this.settled) return;
    const code: ScriptErrorCode = err.name === "SessionProtocolError" ? "Protocol" : "SessionEnded";
    this.fail(code, `the session failed: ${err.message}`, err);
  }

  private async sendPayload(nonce: string): Promise<void> {
    const { run } = this;
    const payload = encodePayload({
      script: Buffer.isBuffer(run.script) ? run.script : Buffer.from(run.script, "utf8"),
      environment: run.environment ?? {},
      stdin: run.stdin ?? Buffer.alloc(0),
      nonce,
      separateStderr: this.separateStderr,
    });
    for (let at = 0; at < payload.length && !this.settled; at += SEND_PIECE)
      await this.transport?.send(payload.subarray(at, at + SEND_PIECE));
  }

  private collect(stream: "stdout" | "stderr", chunk: Buffer): void {
    (stream === "stdout" ? this.stdout : this.stderr).push(chunk);
    this.addTail(chunk);
    this.run.onOutput?.(stream, chunk);
  }

  private addTail(chunk: Buffer): void {
    const joined = Buffer.concat([this.tail, chunk]);
    this.tail = joined.subarray(Math.max(0, joined.length - TAIL_BYTES));
  }

  private exited(code: number): void {
    this.exitCode = code;
    this.graceTimer = setTimeout(() => this.finish(), CLOSE_GRACE_MS);
  }

  private finish(): void {
    if (this.settled || this.exitCode === undefined) return;
    this.close();
    this.settle.resolve({
      stdout: Buffer.concat(this.stdout),
      stderr: Buffer.concat(this.stderr),
      exitCode: this.exitCode,
      merged: !this.separateStderr,
    });
  }

  private fail(code: ScriptErrorCode, message: string, cause?: unknown): void {
    if (this.settled) return;
    this.close();
    this.settle.reject(new ScriptError(code, message, outputTail(this.tail), { cause }));
  }

  private close(): void {
    this.settled = true;
    clearTimeout(this.timer);
    clearTimeout(this.graceTimer);
    this.run.signal?.removeEventListener("abort", this.onAbort);
    this.controller.abort();
    this.transport?.close();
  }
}

/** The last lines of what the run printed. */
function outputTail(bytes: Buffer): string {
  const text = bytes.toString("utf8").replace(/\r/g, "");
  return text.split("\n").slice(-TAIL_LINES).join("\n");
}
