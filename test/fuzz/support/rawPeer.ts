/** A peer that writes raw bytes to the local cloud's port over node:net and notes what comes back. */
import { connect } from "node:net";

/** What the peer got: an HTTP status line, the connection closed without one, or nothing at all. */
export type Answer = { status: number; line: string } | { closed: true } | { silent: true };

/** How long the peer waits for an answer before it ends its side, and then for the close. */
const ANSWER_MS = 500;
const CLOSE_MS = 2000;

export function exchange(port: number, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    const done = (answer: Answer) => {
      clearTimeout(waitAnswer);
      clearTimeout(waitClose);
      socket.destroy();
      resolve(answer);
    };
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      const line = got.split("\r\n", 1)[0];
      if (got.includes("\r\n")) done({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1] ?? 0), line });
    });
    socket.on("error", () => done({ closed: true }));
    socket.on("close", () => done({ closed: true }));
    socket.write(bytes);
    let waitClose: NodeJS.Timeout | undefined;
    // A request still waiting for the body it announced: end our side, the server must close.
    const waitAnswer = setTimeout(() => {
      socket.end();
      waitClose = setTimeout(() => done({ silent: true }), CLOSE_MS);
    }, ANSWER_MS);
  });
}

/** An HTTP/1.1 request as bytes; Content-Length is added when the headers leave it out. */
export function httpRequest(
  method: string,
  target: string,
  headers: Array<[string, string]>,
  body: Buffer,
): Buffer {
  const all = headers.some(([k]) => k.toLowerCase() === "content-length")
    ? headers
    : [...headers, ["content-length", String(body.length)] as [string, string]];
  const head = `${method} ${target} HTTP/1.1\r\n${all.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}
