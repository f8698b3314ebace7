/**
 * HTTP requests to mutate: real ones, signed by the official SDKs (captured on a loopback server,
 * as emulator/protocol/acsRpc.test.ts does), and generators that change their method, path,
 * query parameters, headers (the signature's pieces among them) and body.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeSessionsCommand, SSMClient, StartSessionCommand } from "@aws-sdk/client-ssm";
import { fc } from "@fast-check/jest";
import { callRpc, openApiClient } from "../../../emulator/testing/alibaba";
import { jsonText, randomBytes } from "./arbitraries";
import { CLOUD_KEY, ECS_INSTANCE, ECS_REGION, SSM_NODE, SSM_REGION } from "./cloudProcess";

export interface RequestSpec {
  method: string;
  /** Path and query. */
  target: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Runs `send` against a throwaway loopback server and returns the request it made. */
async function capture(send: (endpoint: string) => Promise<unknown>): Promise<RequestSpec> {
  let captured: RequestSpec | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      captured = {
        method: req.method!,
        target: req.url!,
        headers: flatten(req.headers),
        body: Buffer.concat(chunks),
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await send(`127.0.0.1:${(server.address() as AddressInfo).port}`).catch(() => undefined);
  } finally {
    server.close();
  }
  if (!captured) throw new Error("the SDK sent nothing");
  return captured;
}

function flatten(headers: IncomingHttpHeaders): Array<[string, string]> {
  return Object.entries(headers).flatMap(([k, v]) =>
    v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => [k, x] as [string, string]),
  );
}

/** StartTerminalSession and DescribeTerminalSessions as openapi-core signs them. */
export async function capturedAcsRequests(): Promise<RequestSpec[]> {
  const call = (action: string, query: Record<string, unknown>) =>
    capture((endpoint) => callRpc(openApiClient({ endpoint }, CLOUD_KEY), action, query));
  return [
    await call("StartTerminalSession", { RegionId: ECS_REGION, InstanceId: [ECS_INSTANCE], PortNumber: 9 }),
    await call("DescribeTerminalSessions", { RegionId: ECS_REGION }),
  ];
}

/** StartSession and DescribeSessions as @aws-sdk/client-ssm signs them. */
export async function capturedAwsRequests(): Promise<RequestSpec[]> {
  const call = (command: StartSessionCommand | DescribeSessionsCommand) =>
    capture(async (endpoint) => {
      const ssm = new SSMClient({
        region: SSM_REGION,
        endpoint: `http://${endpoint}`,
        credentials: { accessKeyId: CLOUD_KEY.accessKeyId, secretAccessKey: CLOUD_KEY.accessKeySecret },
        maxAttempts: 1,
      });
      try {
        await ssm.send(command as StartSessionCommand);
      } finally {
        ssm.destroy();
      }
    });
  return [
    await call(new StartSessionCommand({ Target: SSM_NODE })),
    await call(new DescribeSessionsCommand({ State: "Active" })),
  ];
}

/** Names a hostile peer likes: the protocols' own, and those that name Object's properties. */
const HEADER_NAMES = [
  "authorization",
  "x-amz-target",
  "x-amz-date",
  "x-amz-security-token",
  "x-amz-content-sha256",
  "x-acs-action",
  "x-acs-version",
  "x-acs-date",
  "x-acs-signature-nonce",
  "x-acs-content-sha256",
  "x-acs-security-token",
  "x-acs-session-token",
  "content-type",
  "content-length",
  "transfer-encoding",
  "host",
  "origin",
  "constructor",
  "__proto__",
  "toString",
];
const PARAM_NAMES = [
  "Action",
  "Version",
  "RegionId",
  "InstanceId.1",
  "PortNumber",
  "SessionId",
  "Signature",
  "constructor",
];
const ODD_VALUES = ["", "%", "%zz", "%E0%A4%A", "null", "[]", "{}", "\u00ff", "-1", "1e400", "a".repeat(300)];

const headerValue = fc.oneof(fc.constantFrom(...ODD_VALUES), fc.string({ maxLength: 60 }));

/** Today's credential scope date: a scope of another day is refused before the headers are read. */
const TODAY = new Date().toISOString().slice(0, 10).replace(/-/g, "");
export const AMZ_DATE = `${TODAY}T${new Date().toISOString().slice(11, 19).replace(/:/g, "")}Z`;

/** An Authorization value of either scheme, its pieces chosen by a hostile peer. */
export const authorization = fc
  .record({
    scheme: fc.constantFrom("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256", "ACS3-HMAC-SHA256", "Bearer", ""),
    key: fc.oneof(fc.constant(CLOUD_KEY.accessKeyId), fc.string({ maxLength: 20 })),
    scope: fc.oneof(
      fc.constantFrom(
        `${TODAY}/${SSM_REGION}/ssm/aws4_request`,
        `${TODAY}/${SSM_REGION}/ssmmessages/aws4_request`,
      ),
      fc.string({ maxLength: 40 }),
    ),
    signed: fc.array(fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.string({ maxLength: 12 })), {
      maxLength: 5,
    }),
    signature: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ maxLength: 70 })),
    separator: fc.constantFrom(", ", ",", " "),
  })
  .map(
    (a) =>
      `${a.scheme} Credential=${a.key}/${a.scope}${a.separator}SignedHeaders=${a.signed.join(";")}` +
      `${a.separator}Signature=${a.signature}`,
  );

type Edit<T> = (items: T[]) => T[];

/** Replace, drop or add entries of a list of [name, value] pairs. */
function pairEdits(
  names: fc.Arbitrary<string>,
  values: fc.Arbitrary<string>,
): fc.Arbitrary<Edit<[string, string]>> {
  return fc.oneof(
    fc.tuple(fc.nat(), values).map(
      ([i, v]): Edit<[string, string]> =>
        (l) =>
          l.map((p, j) => (l.length > 0 && j === i % l.length ? [p[0], v] : p)),
    ),
    fc.nat().map(
      (i): Edit<[string, string]> =>
        (l) =>
          l.filter((_, j) => j !== i % Math.max(1, l.length)),
    ),
    fc.tuple(names, values).map(([k, v]): Edit<[string, string]> => (l) => [...l, [k, v]]),
  );
}

const headerEdits = fc.array(
  pairEdits(
    fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.stringMatching(/^[a-z-]{1,20}$/)),
    fc.oneof(headerValue, authorization),
  ),
  { maxLength: 4 },
);

const paramEdits = fc.array(
  pairEdits(fc.oneof(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 10 })), headerValue),
  { maxLength: 4 },
);

const path = fc.oneof(
  fc.constantFrom("/", "//", "/%", "/?", "/_admin", "/v1/data-channel/%", "/session?%"),
  fc.string({ maxLength: 30 }).map((s) => `/${s.replace(/[\s#]/g, "")}`),
);

/** Encodes a query as the SDKs do, leaving a stray `%` of a value as it is now and then. */
function query(pairs: Array<[string, string]>, raw: boolean): string {
  return pairs
    .map(([k, v]) =>
      raw ? `${k}=${v.replace(/[\s#]/g, "")}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
    )
    .join("&");
}

/** A mutation of one of `fixtures`; `body` makes a body for it (JSON or form). */
export function mutatedRequest(
  fixtures: RequestSpec[],
  body: (fixture: RequestSpec) => fc.Arbitrary<Buffer>,
): fc.Arbitrary<RequestSpec> {
  return fc.constantFrom(...fixtures).chain((f) => {
    const [fixturePath, search = ""] = f.target.split("?", 2);
    const params = [...new URLSearchParams(search)];
    return fc
      .record({
        method: fc.oneof(
          { arbitrary: fc.constant(f.method), weight: 8 },
          fc.constantFrom("GET", "PUT", "DELETE", "OPTIONS", "X"),
        ),
        path: fc.oneof({ arbitrary: fc.constant(fixturePath), weight: 6 }, path),
        params: paramEdits,
        rawQuery: fc.boolean(),
        headers: headerEdits,
        body: fc.oneof({ arbitrary: fc.constant(f.body), weight: 3 }, body(f), randomBytes(256)),
      })
      .map((m) => {
        const p = m.params.reduce((l, e) => e(l), params);
        const headers = m.headers.reduce(
          (l, e) => e(l),
          f.headers.filter(([k]) => k !== "content-length"),
        );
        return {
          method: m.method,
          target: p.length > 0 ? `${m.path}?${query(p, m.rawQuery)}` : m.path,
          headers,
          body: m.body,
        };
      });
  });
}

/** JSON bodies for AWS JSON 1.1: the fixture's own, with its fields changed. */
export const awsBody = (f: RequestSpec) =>
  jsonText(JSON.parse(f.body.toString("utf8") || "{}") as Record<string, unknown>).map((t) => Buffer.from(t));

/** Form bodies for ACS RPC, merged into the query by the local cloud. */
export const acsBody = () =>
  fc
    .array(fc.tuple(fc.constantFrom(...PARAM_NAMES), headerValue), { maxLength: 4 })
    .map((pairs) => Buffer.from(query(pairs, false)));
