/**
 * The client end of smux version 1 (github.com/xtaci/smux), which AWS Session Manager uses to
 * carry many TCP connections over one port-forwarding session (agents above 3.0.196.0).
 *
 * Frame header, 8 bytes: version (1), command, data length (u16 little-endian), stream id
 * (u32 little-endian). Commands: SYN 0 opens, FIN 1 ends a direction, PSH 2 carries data,
 * NOP 3 does nothing. The client numbers its streams with odd ids.
 */
const enum Command {
  Syn = 0,
  Fin = 1,
  Push = 2,
  Nop = 3,
}
const HEADER_BYTES = 8;
const PUSH_LIMIT = 16384;

export interface MuxStream {
  readonly id: number;
  write(data: Buffer): void;
  /** Our side is done sending (FIN). */
  end(): void;
  onData: (data: Buffer) => void;
  /** The far side is done sending. */
  onEnd: () => void;
}

export class MuxClient {
  private nextId = 1;
  private pending: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<
    number,
    { stream: MuxStream; localEnded: boolean; remoteEnded: boolean }
  >();

  /** `output` puts bytes on the session; `onError` hears of a byte stream that is not smux v1. */
  constructor(
    private readonly output: (bytes: Buffer) => void,
    private readonly onError: (message: string) => void,
  ) {}

  open(): MuxStream {
    const id = this.nextId;
    this.nextId += 2;
    const state = { localEnded: false, remoteEnded: false } as {
      stream: MuxStream;
      localEnded: boolean;
      remoteEnded: boolean;
    };
    const stream: MuxStream = {
      id,
      write: (data) => {
        if (state.localEnded) return;
        for (let i = 0; i < data.length; i += PUSH_LIMIT)
          this.emit(Command.Push, id, data.subarray(i, i + PUSH_LIMIT));
      },
      end: () => {
        if (state.localEnded) return;
        state.localEnded = true;
        this.emit(Command.Fin, id);
        this.forgetIfDone(id);
      },
      onData: () => undefined,
      onEnd: () => undefined,
    };
    state.stream = stream;
    this.streams.set(id, state);
    this.emit(Command.Syn, id);
    return stream;
  }

  /** Bytes the agent sent on the session. */
  receive(bytes: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    let at = 0;
    while (this.pending.length - at >= HEADER_BYTES) {
      const version = this.pending[at];
      const command = this.pending[at + 1];
      const length = this.pending.readUInt16LE(at + 2);
      const id = this.pending.readUInt32LE(at + 4);
      if (version !== 1) {
        this.pending = Buffer.alloc(0);
        return this.onError(`smux frame of version ${version}, expected 1`);
      }
      if (this.pending.length - at < HEADER_BYTES + length) break;
      const data = this.pending.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
      at += HEADER_BYTES + length;
      const state = this.streams.get(id);
      if (command === Command.Push) {
        if (state && !state.remoteEnded && data.length) state.stream.onData(Buffer.from(data));
      } else if (command === Command.Fin) {
        if (state && !state.remoteEnded) {
          state.remoteEnded = true;
          state.stream.onEnd();
          this.forgetIfDone(id);
        }
      } else if (command !== Command.Nop && command !== Command.Syn) {
        this.pending = Buffer.alloc(0);
        return this.onError(`smux command ${command} is not part of version 1`);
      }
    }
    this.pending = this.pending.subarray(at);
  }

  get size(): number {
    return this.streams.size;
  }

  private forgetIfDone(id: number): void {
    const state = this.streams.get(id);
    if (state?.localEnded && state.remoteEnded) this.streams.delete(id);
  }

  private emit(command: Command, id: number, data: Buffer = Buffer.alloc(0)): void {
    const frame = Buffer.alloc(HEADER_BYTES + data.length);
    frame[0] = 1;
    frame[1] = command;
    frame.writeUInt16LE(data.length, 2);
    frame.writeUInt32LE(id, 4);
    data.copy(frame, HEADER_BYTES);
    this.output(frame);
  }
}
