/**
 * A minimal loopback HTTP server that speaks only the AWS JSON protocol, for unit tests of the
 * protocol and the SSM service without the full local cloud (emulator/server.ts).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../../clock";
import type { Credential } from "../../config";
import type { EcsChannelSpec, EcsChannels } from "../../dataplane/types";
import type { Service } from "../../services/types";
import { ApiError } from "../apiError";
import { awsJsonProtocol } from "../awsJson";
import type { RawRequest, RawResponse } from "../types";

export interface Harness {
  endpoint: string;
  close(): Promise<void>;
}

export async function startAwsJsonHarness(opts: {
  credentials: Credential[];
  services: Service[];
  /** Time signatures are checked against (the SDK signs with the real time). Default: system clock. */
  authClock?: Clock;
}): Promise<Harness> {
  const authClock = opts.authClock ?? systemClock;
  let counter = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw: RawRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks),
        remoteAddress: req.socket.remoteAddress ?? "",
      };
      void handle(raw, `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`).then((out) => {
        // The SDK corrects its clock from `Date`: send the server clock's, as AWS sends its own.
        res.writeHead(out.status, { ...out.headers, date: authClock.now().toUTCString() });
        res.end(out.body);
      });
    });
  });

  async function handle(raw: RawRequest, requestId: string): Promise<RawResponse> {
    try {
      const env = { credentials: () => opts.credentials, services: opts.services, clock: authClock };
      const dispatch = awsJsonProtocol.parse(raw, env, requestId);
      const handler = dispatch.service.actions[dispatch.action];
      if (!handler) throw new ApiError(400, "UnknownOperationException", "");
      const result = await handler(dispatch.params, dispatch.ctx);
      return awsJsonProtocol.encodeResult(dispatch, result);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, "InternalServerError", String(e));
      return awsJsonProtocol.encodeError(err, requestId);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The SDK keeps connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}

/** Records channels instead of serving them; tests drive `onConnectionState` by hand. */
export class RecordingDataPlane implements EcsChannels {
  readonly opened: EcsChannelSpec[] = [];
  readonly closed: Array<{ sessionId: string; reason: string }> = [];

  open(spec: EcsChannelSpec): { url: string } {
    this.opened.push(spec);
    return { url: `ws://127.0.0.1:9/v1/data-channel/${spec.sessionId}?token=${spec.token}` };
  }

  close(sessionId: string, reason: string): void {
    this.closed.push({ sessionId, reason });
  }

  /** The latest channel registered for a session. */
  channel(sessionId: string): EcsChannelSpec {
    const spec = [...this.opened].reverse().find((s) => s.sessionId === sessionId);
    if (!spec) throw new Error(`no channel for ${sessionId}`);
    return spec;
  }
}
