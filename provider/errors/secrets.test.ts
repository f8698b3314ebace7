/**
 * No error carries a secret, whatever its code: a real EPROTO (an https endpoint override
 * pointed at a plain http server) for CreateKillInstanceSessionTask and for StartSession, and
 * fabricated SDK errors with codes nobody lists whose message, stack, cause and `data` quote a
 * URL with its query or a token.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { createAlicloudClient } from "../clients/alicloud/client";
import { createKillInstanceSessionTask } from "../clients/alicloud/createKillInstanceSessionTask";
import { createSsmClient } from "../clients/aws/client";
import { startSession } from "../clients/aws/startSession";
import { toAlicloudError } from "./alicloud";
import { toAwsError } from "./aws";
import { TLS_FAILURE_HINT } from "./base";
import { REDACTED, redactSecrets } from "./redact";

/** Characters that URL-encoding changes, so both spellings can be looked for. */
const PASSWORD = "Kill me@once & for-all/7";
const TOKEN = "AAEAAQSecretSessionTokenValue0123456789";

/** Every way an error reaches a person: its string, the host's log line, its JSON, its inspection. */
function everyRendering(err: unknown): string {
  const e = err as Error;
  const causes: unknown[] = [];
  for (let c: unknown = e; c instanceof Error; c = c.cause) causes.push(c, c.message, c.stack);
  return [
    String(e),
    `${e}: ${e.stack}`,
    JSON.stringify(e),
    JSON.stringify(causes),
    inspect(e, { depth: 10, showHidden: true }),
  ].join("\n");
}

function expectNoSecret(err: unknown, ...secrets: string[]): void {
  const seen = everyRendering(err);
  for (const secret of secrets) {
    expect(seen).not.toContain(secret);
    expect(seen).not.toContain(encodeURIComponent(secret));
    expect(seen).not.toContain(encodeURIComponent(secret).replace(/%20/g, "+"));
  }
}

let plain: Server;
let httpsToPlain: string;

beforeAll(async () => {
  plain = createServer((_req, res) => res.end("{}"));
  await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
  httpsToPlain = `https://127.0.0.1:${(plain.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => plain.close(() => r())));

test("an EPROTO of CreateKillInstanceSessionTask carries no password, and says what to fix", async () => {
  const client = createAlicloudClient({
    product: "das",
    region: "cn-shanghai",
    endpoint: httpsToPlain,
    credentials: {
      kind: "static",
      accessKeyId: "LTAIsecretsunit01",
      accessKeySecret: "unit",
      source: "test",
    },
  });
  const err = await createKillInstanceSessionTask(
    client,
    { instanceId: "rm-secrets01", dbUser: "ops", dbUserPassword: PASSWORD, killAllSessions: true },
    { maxAttempts: 1 },
  ).catch((e: unknown) => e);
  expect(err).toMatchObject({ name: "AlicloudApiError", code: "EPROTO", hint: TLS_FAILURE_HINT });
  // The SDK's own message did carry it: the test would see a leak.
  expect((err as Error).message).toMatch(/^CreateKillInstanceSessionTask failed with EPROTO: .*EPROTO/);
  expect((err as Error).message).toContain(`(POST ${httpsToPlain}/)`);
  expectNoSecret(err, PASSWORD);
});

test("an EPROTO of StartSession is named a TLS failure, and carries no session token", async () => {
  const client = createSsmClient({
    region: "us-west-2",
    endpoint: httpsToPlain,
    credentials: {
      kind: "static",
      accessKeyId: "AKIASECRETSUNIT01",
      secretAccessKey: "unit",
      sessionToken: TOKEN,
      source: "test",
    },
  });
  const err = await startSession(client, { target: "i-0secretsunit0001" }).catch((e: unknown) => e);
  expect(err).toMatchObject({ name: "AwsApiError", code: "EPROTO", hint: TLS_FAILURE_HINT });
  expectNoSecret(err, TOKEN);
});

test("an unknown code whose message, stack, data and cause quote the URL and a token is scrubbed everywhere", () => {
  const url = `https://das.cn-shanghai.aliyuncs.com/?Action=CreateKillInstanceSessionTask&DbUserPassword=${encodeURIComponent(PASSWORD)}`;
  const inner = Object.assign(new Error(`proxy said no to GET ${url}`), { code: "ERR_PROXY_WHATEVER" });
  const sdk = Object.assign(new Error(`tunnel failed: 407POST ${url} failed.`, { cause: inner }), {
    name: "WeirdProxyError",
    code: "E_SOMETHING_NEW",
    data: {
      url,
      body: `{"TokenValue":"${TOKEN}","StreamUrl":"wss://ssmmessages/v1/data-channel/s-1?role=publish_subscribe&token=${TOKEN}"}`,
      nested: [{ header: `x-amz-security-token=${TOKEN}` }],
    },
    response: new (class HttpResponse {
      readonly raw = url;
    })(),
  });
  sdk.stack = `WeirdProxyError: ${sdk.message}\n    at request (${url})`;
  const ali = toAlicloudError(sdk, "CreateKillInstanceSessionTask");
  expect(ali.code).toBe("E_SOMETHING_NEW");
  expect(ali.message).toBe(
    "CreateKillInstanceSessionTask failed with E_SOMETHING_NEW: tunnel failed: 407 " +
      "(POST https://das.cn-shanghai.aliyuncs.com/). The request could not be sent: see the message above.",
  );
  expectNoSecret(ali, PASSWORD, TOKEN);
  const cause = ali.cause as Error & { data: { body: string }; response?: unknown };
  expect(cause.data.body).toBe(
    `{"TokenValue":"${REDACTED}","StreamUrl":"wss://ssmmessages/v1/data-channel/s-1"}`,
  );
  // Not plain data (a response object, a socket): left out rather than walked.
  expect(cause.response).toBeUndefined();
  expect((cause.cause as { code?: string }).code).toBe("ERR_PROXY_WHATEVER");

  const aws = toAwsError(sdk, "StartSession");
  expect(aws.code).toBe("E_SOMETHING_NEW");
  expectNoSecret(aws, PASSWORD, TOKEN);
});

test("an HTTP error's body and the cloud's own message lose their secrets too", () => {
  const password = "hunter2-das";
  const sdk = Object.assign(new Error(`code: 400, bad DbUserPassword=${password}`), {
    name: "ClientError",
    statusCode: 400,
    code: "InvalidParams",
    data: { Code: "InvalidParams", Message: `"DbUserPassword": "${password}" is wrong`, RequestId: "R-1" },
  });
  const err = toAlicloudError(sdk, "CreateKillInstanceSessionTask");
  expect(err).toMatchObject({ code: "InvalidParams", httpStatus: 400, requestId: "R-1" });
  expect(err.cloudMessage).toBe(`"DbUserPassword": "${REDACTED}" is wrong`);
  expectNoSecret(err, password);
});

test("redactSecrets keeps what is no secret", () => {
  expect(redactSecrets("connect ECONNREFUSED 127.0.0.1:1 (POST http://127.0.0.1:1/)")).toBe(
    "connect ECONNREFUSED 127.0.0.1:1 (POST http://127.0.0.1:1/)",
  );
  expect(redactSecrets("Is it on? It is = maybe")).toBe("Is it on? It is = maybe");
  expect(redactSecrets("InvalidClientTokenId: The security token included in the request is invalid")).toBe(
    "InvalidClientTokenId: The security token included in the request is invalid",
  );
  expect(redactSecrets(`POST https://h/?DbUserPassword=${encodeURIComponent(PASSWORD)} failed.`)).toBe(
    "POST https://h/ failed.",
  );
  expect(redactSecrets(`token=${TOKEN}; Password=hunter2 region=us`)).toBe(
    `token=${REDACTED}; Password=${REDACTED} region=us`,
  );
});
