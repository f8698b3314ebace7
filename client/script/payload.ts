/**
 * What goes through the session's input once the far end is ready: a header line (the run's
 * nonce and stderr mode), then the script, the environment and stdin, each as base64 in lines of
 * 76 characters ended by `^D` at the start of a line (end of file for one `base64 -d`).
 */
import { ScriptError } from "./errors";

/** A variable name the shell can export. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LINE = 76;
const END_OF_PART = Buffer.from("\n\x04");

export interface Payload {
  script: Buffer;
  environment: Record<string, string>;
  stdin: Buffer;
  nonce: string;
  /** Keep stderr apart (sent after the run) instead of on the terminal with stdout. */
  separateStderr: boolean;
}

/** The bytes to send, in order. */
export function encodePayload(p: Payload): Buffer {
  const header = Buffer.from(`${p.nonce} ${p.separateStderr ? "s" : "m"}\n`);
  const parts = [p.script, environmentFile(p.environment), p.stdin].flatMap((part) => [
    base64Lines(part),
    END_OF_PART,
  ]);
  return Buffer.concat([header, ...parts]);
}

function base64Lines(data: Buffer): Buffer {
  const text = data.toString("base64");
  const lines: string[] = [];
  for (let at = 0; at < text.length; at += LINE) lines.push(text.slice(at, at + LINE));
  return Buffer.from(lines.join("\n"));
}

/** `export NAME='value'` lines; a value's `'` becomes `'\''`. */
export function environmentFile(environment: Record<string, string>): Buffer {
  const lines = Object.entries(environment).map(([name, value]) => {
    if (!NAME.test(name))
      throw new ScriptError(
        "Protocol",
        `environment name ${JSON.stringify(name)} is not a shell variable name (letters, digits, _; not starting with a digit)`,
        "",
      );
    if (value.includes("\0"))
      throw new ScriptError(
        "Protocol",
        `environment value of ${name} holds a NUL byte, which no environment can carry`,
        "",
      );
    return `export ${name}='${value.replace(/'/g, "'\\''")}'\n`;
  });
  return Buffer.from(lines.join(""));
}
