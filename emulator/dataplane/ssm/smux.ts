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
  private buffered: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SmuxServerStream>();
  private readonly peerEnded = new Set<number>();
  private broken = false;

  constructor(private readonly events: SmuxServerEvents) {}

  /** Parses what arrived from the client; frames may be split across calls or share one. */
  feed(chunk: Buffer): void {
    if (this.broken) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= HEADER) {
      const version = this.buffered[0];
      const cmd = this.buffered[1];
      const length = this.buffered.readUInt16LE(2);
      const sid = this.buffered.readUInt32LE(4);
      if (version !== VERSION) return this.fail(`smux version ${version} is not 1`);
      if (this.buffered.length < HEADER + length) return;
      const data = this.buffered.subarray(HEADER, HEADER + length);
      this.buffered = this.buffered.subarray(HEADER + length);
      switch (cmd) {
        case Cmd.syn:
          if (length !== 0) return this.fail("smux SYN carries data");
          this.open(sid);
          break;
        case Cmd.fin: {
          if (length !== 0) return this.fail("smux FIN carries data");
          const stream = this.streams.get(sid);
          if (stream && !this.peerEnded.has(sid)) {
            this.peerEnded.add(sid);
            stream.events.onEnd();
            this.settle(stream);
          }
          break;
        }
        case Cmd.psh:
          // Data for a stream we no longer know is dropped, as smux does.
          if (length > 0 && !this.peerEnded.has(sid)) this.streams.get(sid)?.events.onData(Buffer.from(data));
          break;
        case Cmd.nop:
          break;
        default:
          return this.fail(`smux command ${cmd} is not valid in version 1`);
      }
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
    const header = Buffer.alloc(HEADER);
    header[0] = VERSION;
    header[1] = cmd;
    header.writeUInt16LE(data.length, 2);
    header.writeUInt32LE(sid, 4);
    this.events.send(data.length ? Buffer.concat([header, data]) : header);
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
    this.buffered = Buffer.alloc(0);
    this.events.onProtocolError(reason);
  }
}
