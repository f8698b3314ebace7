/**
 * Writes of one tick in one system call: the first write of a tick corks the stream, and it is
 * uncorked once the tick's code has run. A burst of small writes (a protocol's messages, a
 * multiplexer's frames) then leaves in one writev instead of one write each; what is written
 * and in what order does not change.
 */
import type { Writable } from "node:stream";

/** Returns what to call before each write to `stream`. */
export function batchedPerTick(stream: Writable): () => void {
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    stream.cork();
    process.nextTick(uncork);
  };
}
