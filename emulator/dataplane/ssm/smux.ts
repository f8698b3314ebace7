/**
 * The agent's end of smux protocol version 1 (github.com/xtaci/smux), which the AWS plugin
 * uses to carry many TCP connections over one port-forwarding session. The plugin is the
 * smux client (it opens streams); this is the server side.
 *
 * Frame: version u8 (1), command u8, length u16 little-endian, stream id u32 little-endian,
 * then `length` bytes of data. Commands: 0 SYN (open), 1 FIN (end of a stream's data),
 * 2 PSH (data), 3 NOP (keepalive). Version 1 has no flow-control frames: a command 4 (UPD,
 * version 2 only) is a protocol error, as it is for smux itself.
 */
const HEADER = 8;
const VERSION = 1;
const Cmd = { syn: 0, fin: 1, psh: 2, nop: 3 } as const;
/** What we put in one PSH frame (smux's own default maximum is 32768). */
const MAX_DATA = 16384;
/**
 * Streams open at once in one session, each a TCP connection to the target. One more is ended
 * at once (FIN), so the client closes that local connection: smux v1 has no refusal of its own.
 */
export const MAX_STREAMS = 256;

export interface SmuxStreamEvents {
  onData(chunk: Buffer): void;
  /** The peer sent FIN: it will send no more data on this stream. */
  onEnd(): void;
}

export class SmuxServerStream {
  private finSent = false;
  events: SmuxStreamEvents = { onData: () => undefined, onEnd: () => undefined };

  constructor(
    readonly id: number,
    private readonly session: SmuxServer,
  ) {}

  write(data: Buffer): void {
    if (this.finSent) return;
    for (let off = 0; off < data.length; off += MAX_DATA) {
      this.session.frame(Cmd.psh, this.id, data.subarray(off, off + MAX_DATA));
    }
  }

  /** Sends FIN once; the stream is forgotten when both sides have ended it. */
  end(): void {
    if (this.finSent) return;
    this.finSent = true;
    this.session.frame(Cmd.fin, this.id, Buffer.alloc(0));
    this.session.settle(this);
  }

  get ended(): boolean {
    return this.finSent;
  }
}

export interface SmuxServerEvents {
  /** Bytes to put on the data channel, in order. */
  send(bytes: Buffer): void;
  /** The client opened a stream. */
  onStream(stream: SmuxServerStream): void;
  /** The byte stream is not smux v1: the session must stop using it. */
  onProtocolError(reason: string): void;
}

export class SmuxServer {
  /** The frame being read: its header so far, then its data's parts (views of what arrived). */
  private readonly header = Buffer.alloc(HEADER);
  private headerBytes = 0;
  private parts: Buffer[] = [];
  /** Data bytes the current frame still needs; -1 while its header is incomplete. */
  private need = -1;
  private readonly streams = new Map<number, SmuxServerStream>();
  private readonly peerEnded = new Set<number>();
  private broken = false;

  constructor(private readonly events: SmuxServerEvents) {}

  /**
   * Parses what arrived from the client; frames may be split across calls or share one. A PSH
   * frame's data usually spans many messages: its parts are joined once, when it is whole.
   */
  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      if (this.need < 0) {
        const take = Math.min(HEADER - this.headerBytes, chunk.length - at);
        chunk.copy(this.header, this.headerBytes, at, at + take);
        this.headerBytes += take;
        at += take;
        if (this.headerBytes === HEADER) this.readHeader();
      } else {
        const part = chunk.subarray(at, at + this.need);
        this.parts.push(part);
        this.need -= part.length;
        at += part.length;
      }
      if (this.need === 0) this.dispatch();
    }
  }

  private readHeader(): void {
    const version = this.header[0];
    const cmd = this.header[1];
    const length = this.header.readUInt16LE(2);
    if (version !== VERSION) return this.fail(`smux version ${version} is not 1`);
    if (cmd > Cmd.nop) return this.fail(`smux command ${cmd} is not valid in version 1`);
    if (cmd === Cmd.syn && length !== 0) return this.fail("smux SYN carries data");
    if (cmd === Cmd.fin && length !== 0) return this.fail("smux FIN carries data");
    this.need = length;
  }

  /** The current frame is whole. */
  private dispatch(): void {
    const cmd = this.header[1];
    const sid = this.header.readUInt32LE(4);
    const data = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.parts = [];
    this.headerBytes = 0;
    this.need = -1;
    switch (cmd) {
      case Cmd.syn:
        return this.open(sid);
      case Cmd.fin: {
        const stream = this.streams.get(sid);
        if (stream && !this.peerEnded.has(sid)) {
          this.peerEnded.add(sid);
          stream.events.onEnd();
          this.settle(stream);
        }
        return;
      }
      case Cmd.psh:
        // Data for a stream we no longer know is dropped, as smux does.
        if (data.length > 0 && !this.peerEnded.has(sid)) this.streams.get(sid)?.events.onData(data);
        return;
    }
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Ends every stream (the session is over). */
  closeAll(): void {
    for (const stream of [...this.streams.values()]) {
      if (!this.peerEnded.has(stream.id)) {
        this.peerEnded.add(stream.id);
        stream.events.onEnd();
      }
      stream.end();
    }
  }

  /** @internal */
  frame(cmd: number, sid: number, data: Buffer): void {
    const frame = Buffer.allocUnsafe(HEADER + data.length);
    frame[0] = VERSION;
    frame[1] = cmd;
    frame.writeUInt16LE(data.length, 2);
    frame.writeUInt32LE(sid, 4);
    data.copy(frame, HEADER);
    this.events.send(frame);
  }

  /** @internal */
  settle(stream: SmuxServerStream): void {
    if (stream.ended && this.peerEnded.has(stream.id)) {
      this.streams.delete(stream.id);
      this.peerEnded.delete(stream.id);
    }
  }

  private open(sid: number): void {
    if (this.streams.has(sid)) return;
    if (this.streams.size >= MAX_STREAMS) return this.frame(Cmd.fin, sid, Buffer.alloc(0));
    const stream = new SmuxServerStream(sid, this);
    this.streams.set(sid, stream);
    this.events.onStream(stream);
  }

  private fail(reason: string): void {
    this.broken = true;
    this.parts = [];
    this.events.onProtocolError(reason);
  }
}
