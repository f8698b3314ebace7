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
  /** The frame being read: its header so far, then the parts of its data (views of what arrived). */
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerHave = 0;
  private parts: Buffer[] = [];
  /** Data bytes the current frame still needs; -1 while its header is incomplete. */
  private need = -1;
  private broken = false;
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
        if (state.localEnded || data.length === 0) return;
        this.output(pushFrames(id, data));
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

  /**
   * Bytes the agent sent on the session. A frame's data usually spans several messages: its
   * parts are kept as they are and joined once, when the frame is whole.
   */
  receive(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length && !this.broken) {
      if (this.need < 0) {
        const take = Math.min(HEADER_BYTES - this.headerHave, bytes.length - at);
        bytes.copy(this.header, this.headerHave, at, at + take);
        this.headerHave += take;
        at += take;
        if (this.headerHave === HEADER_BYTES) this.startFrame();
      } else {
        const part = bytes.subarray(at, at + this.need);
        this.parts.push(part);
        this.need -= part.length;
        at += part.length;
      }
      if (this.need === 0) this.endFrame();
    }
  }

  private startFrame(): void {
    const version = this.header[0];
    if (version !== 1) return this.fail(`smux frame of version ${version}, expected 1`);
    const command = this.header[1];
    if (command > Command.Nop) return this.fail(`smux command ${command} is not part of version 1`);
    this.need = this.header.readUInt16LE(2);
  }

  private endFrame(): void {
    const command = this.header[1] as Command;
    const id = this.header.readUInt32LE(4);
    const data = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.parts = [];
    this.headerHave = 0;
    this.need = -1;
    const state = this.streams.get(id);
    if (command === Command.Push) {
      if (state && !state.remoteEnded && data.length) state.stream.onData(data);
    } else if (command === Command.Fin) {
      if (state && !state.remoteEnded) {
        state.remoteEnded = true;
        state.stream.onEnd();
        this.forgetIfDone(id);
      }
    }
  }

  private fail(message: string): void {
    this.broken = true;
    this.parts = [];
    this.onError(message);
  }

  get size(): number {
    return this.streams.size;
  }

  private forgetIfDone(id: number): void {
    const state = this.streams.get(id);
    if (state?.localEnded && state.remoteEnded) this.streams.delete(id);
  }

  private emit(command: Command, id: number): void {
    const frame = Buffer.allocUnsafe(HEADER_BYTES);
    writeHeader(frame, 0, command, id, 0);
    this.output(frame);
  }
}

function writeHeader(frame: Buffer, at: number, command: Command, id: number, length: number): void {
  frame[at] = 1;
  frame[at + 1] = command;
  frame.writeUInt16LE(length, at + 2);
  frame.writeUInt32LE(id, at + 4);
}

/**
 * `data` as Push frames of at most PUSH_LIMIT bytes, in one buffer: the session cuts it into
 * messages of 1024 bytes once, so a 64 KiB read makes 65 messages, not a short one per frame.
 */
function pushFrames(id: number, data: Buffer): Buffer {
  const frames = Math.ceil(data.length / PUSH_LIMIT);
  const out = Buffer.allocUnsafe(frames * HEADER_BYTES + data.length);
  let at = 0;
  for (let i = 0; i < data.length; i += PUSH_LIMIT) {
    const part = data.subarray(i, i + PUSH_LIMIT);
    writeHeader(out, at, Command.Push, id, part.length);
    part.copy(out, at + HEADER_BYTES);
    at += HEADER_BYTES + part.length;
  }
  return out;
}
