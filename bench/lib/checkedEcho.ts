/**
 * One TCP connection to an echo target that carries a known pseudo-random stream and checks, as
 * the echo comes back, that it is the same stream: every byte once and in order. The stream is
 * AES-128-CTR's keystream for a per-connection key, so the checker regenerates it instead of
 * keeping what was sent. The connection never half-closes (the official plugin ends the whole
 * stream on a client's FIN, which would cut the echo short for a reason that is not the one
 * measured): it ends once as many bytes came back as were sent, or when `signal` aborts.
 */
import { createCipheriv, createHash } from "node:crypto";
import { connect } from "node:net";

const CHUNK = 64 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/** How a checked connection ended. */
export type EchoEnd =
  /** As many bytes came back as were sent, and the client closed (`intact` says if they were right). */
  | "complete"
  /** The far side reset or closed the connection before everything came back. */
  | "cut"
  /** The deadline (the signal) ended it first. */
  | "aborted";

export interface CheckedEcho {
  /** Bytes written to the connection. */
  sent: number;
  /** Bytes that came back. */
  echoed: number;
  /** Bytes of the echo equal to the stream, from its start to the first difference. */
  intact: number;
  end: EchoEnd;
  /** The socket's error code, when it failed. */
  error?: string;
}

/** The stream of connection `index`: a fresh generator of its bytes, from the start. */
function keystream(index: number): (length: number) => Buffer {
  const key = createHash("sha256").update(`checked-echo-${index}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  return (length) => cipher.update(length === CHUNK ? ZEROS : ZEROS.subarray(0, length));
}

/** A connection's progress so far, for watchdogs: bytes that came back. */
export interface EchoProgress {
  echoed: number;
}

/**
 * Sends `bytes` of stream `index` to `port` (minding back-pressure) and checks the echo.
 * `progress` is updated as bytes come back. Never rejects (throws at once for a `bytes` that is not a whole number).
 */
export function checkedEcho(
  port: number,
  index: number,
  bytes: number,
  signal: AbortSignal,
  progress: EchoProgress = { echoed: 0 },
): Promise<CheckedEcho> {
  // A fraction would never be sent: the pump would write empty chunks for ever.
  if (!Number.isSafeInteger(bytes) || bytes < 0)
    throw new RangeError(`bytes must be a whole number (got ${bytes})`);
  const next = keystream(index);
  const expected = keystream(index);
  let sent = 0;
  let intact = 0;
  let diverged = false;
  let error: string | undefined;
  let end: EchoEnd = "cut";
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const onAbort = () => {
      end = "aborted";
      socket.destroy();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const pump = (): void => {
      while (sent < bytes && !socket.destroyed) {
        const chunk = next(Math.min(CHUNK, bytes - sent));
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
    };
    socket.once("connect", pump);
    socket.on("data", (d: Buffer) => {
      progress.echoed += d.length;
      if (!diverged) {
        // Past the stream's end every byte is one too many: compare against nothing.
        const want = expected(Math.min(d.length, Math.max(0, bytes - intact)));
        const same = want.length === d.length ? want.equals(d) : false;
        if (same) intact += d.length;
        else {
          let i = 0;
          while (i < want.length && want[i] === d[i]) i++;
          intact += i;
          diverged = true;
        }
      }
      if (progress.echoed >= bytes && end === "cut") {
        end = "complete";
        socket.destroy();
      }
    });
    socket.on("error", (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on("close", () => {
      signal.removeEventListener("abort", onAbort);
      resolve({ sent, echoed: progress.echoed, intact, end, ...(error !== undefined ? { error } : {}) });
    });
  });
}
