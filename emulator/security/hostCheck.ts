/**
 * Host check, against DNS rebinding: a page on `evil.example` whose name re-resolves to 127.0.0.1
 * reaches the local cloud with `Host: evil.example:PORT` and becomes same-origin with it. Only the
 * loopback names the local cloud listens on (with its port) and the names the user allowed pass,
 * as in Vite's `server.allowedHosts` and webpack-dev-server's `allowedHosts`.
 */
import type { Refusal } from "./refusal";

/** The loopback address the local cloud listens on. */
export type ListenHost = "127.0.0.1" | "::1";

/** `Host` values that name the local cloud itself: its address and `localhost`, with its port. */
export function ownHosts(listenHost: ListenHost, port: number): string[] {
  const address = listenHost === "::1" ? "[::1]" : listenHost;
  const hosts = [`${address}:${port}`, `localhost:${port}`];
  // Clients leave out the default port.
  if (port === 80) hosts.push(address, "localhost");
  return hosts;
}

/** `name`, `name:port`, `[v6]` or `[v6]:port`, lower-cased; `port` undefined when absent. */
export function splitHost(value: string): { name: string; port: number | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(value.toLowerCase());
  if (!m) return { name: value.toLowerCase(), port: undefined };
  return { name: m[1], port: m[2] === undefined ? undefined : Number(m[2]) };
}

export interface HostCheck {
  /** `ownHosts` of the listening server. */
  own: readonly string[];
  /** Names the user allowed: `name` (any port) or `name:port`. */
  allowedHosts: readonly string[];
}

/** Null when `host` (the request's `Host` header) names the local cloud or an allowed name. */
export function hostRefusal(host: string | undefined, check: HostCheck): Refusal | null {
  const listed = check.own.join(" and ");
  if (host === undefined || host === "") {
    return { status: 403, reason: `The request has no Host header: the local cloud answers ${listed} only.` };
  }
  if (check.own.includes(host.toLowerCase())) return null;
  const asked = splitHost(host);
  for (const entry of check.allowedHosts) {
    const allowed = splitHost(entry);
    if (allowed.name === asked.name && (allowed.port === undefined || allowed.port === asked.port))
      return null;
  }
  return {
    status: 403,
    reason:
      `Host ${JSON.stringify(host)} is not allowed: the local cloud answers ${listed} only; ` +
      `to reach it under another name, start it with --allowed-host ${asked.name} (config "allowedHosts").`,
  };
}
