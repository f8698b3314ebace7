import { z } from "zod";

/**
 * The local cloud's bounds on what one peer may cost it: connections, bytes and time. Each value
 * is set here once (the config's `limits` may lower or raise it) and documented, with the reason
 * text a refused peer gets, in docs/protocols/control-plane.md.
 */
export const limitsSchema = z
  .object({
    /**
     * Connections served at once, WebSockets included; the next one gets 503. 512 keeps the local
     * cloud under a 1024 file-descriptor limit even when every connection is a port forward
     * holding a second socket to its target.
     */
    maxConnections: z.number().int().positive().default(512),
    /**
     * Request line and headers, in bytes (Node's own default). A signed SDK request sends about
     * 1 KiB; the longest ACS RPC query (a 512-character CommandLine, encoded) stays well inside.
     */
    maxHeaderBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024),
    /** An API request's body. The largest the served APIs take is a few KiB of JSON or form fields. */
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024),
    /** An admin API body: a fault rule or an inventory change of a few hundred items. */
    maxAdminBodyBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    /** From the connection (or the previous response) to the end of the headers: SDKs send them at once. */
    headersTimeoutMs: z.number().int().positive().default(10_000),
    /** From the connection to the end of the request's body; at least `headersTimeoutMs`. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** An idle keep-alive connection is closed after this (Node's default; SDK agents reconnect). */
    keepAliveTimeoutMs: z.number().int().positive().default(5_000),
    /** Rows the request log keeps (`GET /_admin/requests`). */
    requestLogRows: z.number().int().positive().default(10_000),
    /** What the request log may hold in all, as the JSON of its rows. */
    requestLogBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    /** One logged parameter value, as JSON; a longer one is replaced by a note of its size. */
    requestLogValueBytes: z.number().int().positive().default(256),
  })
  .strict()
  .refine((l) => l.requestTimeoutMs >= l.headersTimeoutMs, {
    message: "requestTimeoutMs must be at least headersTimeoutMs",
    path: ["requestTimeoutMs"],
  });

export type Limits = z.output<typeof limitsSchema>;

/** Every limit at its default. */
export const DEFAULT_LIMITS: Limits = limitsSchema.parse({});
