/**
 * A shell on a pseudo-terminal (`openTerminal`): its starting size and TERM, and a resize sent
 * before `script` has made the terminal, as the SSM client sends its size right after the handshake.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTerminal, type TerminalOptions, type TerminalPipe } from "./pipes";

interface Run {
  output: () => string;
  ended: Promise<number | null>;
}

/** Resizes to `resize` at once (if given), then asks the shell its size and ends it. */
function shell(options: TerminalOptions, resize?: { rows: number; cols: number }): Run {
  const out: Buffer[] = [];
  let terminal!: TerminalPipe;
  // The executor runs at once: `terminal` is set when the constructor returns.
  const ended = new Promise<number | null>((resolve, reject) => {
    terminal = openTerminal(
      undefined,
      {
        onReady: () => undefined,
        onData: (d) => out.push(d),
        onEnd: (code) => resolve(code),
        onError: reject,
      },
      "s-1",
      options,
    );
  });
  if (resize) terminal.resize(resize.rows, resize.cols);
  terminal.write(Buffer.from('echo "size:$(stty size) term:$TERM"; exit 5\r'));
  return { output: () => Buffer.concat(out).toString(), ended };
}

/** `stty` in front of the real one on PATH: slow unless it is `stty -F`. */
const SLOW_STTY = '#!/bin/sh\n[ "$1" = -F ] || sleep 0.3\nPATH=${PATH#*:}\nexec stty "$@"\n';

describe("openTerminal", () => {
  it("starts at 80x24 with TERM=xterm-256color; Enter is \\r; the shell's exit code comes back", async () => {
    const r = shell({});
    expect(await r.ended).toBe(5);
    expect(r.output()).toContain("size:24 80 term:xterm-256color\r\n");
  });

  it("runs a command at the starting size from its first instruction", async () => {
    let output = "";
    const code = await new Promise<number | null>((resolve, reject) => {
      openTerminal(
        "stty size; exit 3",
        {
          onReady: () => undefined,
          onData: (d) => (output += d.toString()),
          onEnd: (c) => resolve(c),
          onError: reject,
        },
        "s-1",
        { resizeWaitMs: 2000 },
      );
    });
    expect(code).toBe(3);
    expect(output).toBe("24 80\r\n");
  });

  it("starts at the size asked for", async () => {
    const r = shell({ size: { rows: 50, cols: 160 } });
    expect(await r.ended).toBe(5);
    expect(r.output()).toContain("size:50 160 ");
  });

  it("with resizeWaitMs, a resize sent at once waits for the terminal and its starting size, which does not undo it", async () => {
    // The start command's `stty` made slow (`stty -F`, the resize's, is not): a resize applied
    // before it ran would be undone.
    const bin = mkdtempSync(join(tmpdir(), "pulumi-sessions-test-"));
    writeFileSync(join(bin, "stty"), SLOW_STTY, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    const r = shell({ resizeWaitMs: 2000 }, { rows: 31, cols: 97 });
    process.env.PATH = path; // read when the process starts
    try {
      expect(await r.ended).toBe(5);
      expect(r.output()).toContain("size:31 97 ");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
