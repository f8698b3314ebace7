/**
 * Temporary credentials that expire on the local cloud's clock, through the official SDKs: an STS
 * key's requests are refused once its `expiresAt` passes (AWS ExpiredTokenException, ACS
 * InvalidSecurityToken.Expired), and a key rotated in with `POST /_admin/inventory` carries on,
 * as an hourly rotation of temporary credentials does.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import {
  DescribeSessionsCommand,
  ResumeSessionCommand,
  SSMClient,
  StartSessionCommand,
} from "@aws-sdk/client-ssm";
import { AdminClient, AdminError } from "../admin/client";
import { ManualClock } from "../clock";
import { startLocalCloud, type LocalCloud } from "../server";
import { acsError, callRpc, openApiClient } from "../testing/alibaba";

const HOUR = 3_600_000;
const REGION = "us-east-1";
const NODE = "i-0expiry000000001";
const START = new Date("2026-03-01T10:00:00Z");
const at = (ms: number) => new Date(START.getTime() + ms).toISOString();

/** An STS key of the shared local account, valid until `expiresAt`. */
const stsKey = (n: number, expiresAt: string) => ({
  accessKeyId: `ASIAEXPIRY${String(n).padStart(8, "0")}`,
  accessKeySecret: `expiry-secret-${n}`,
  securityToken: `expiry-session-token-${n}`,
  expiresAt,
});

let clock: ManualClock;
let cloud: LocalCloud;
let admin: AdminClient;
const clients: SSMClient[] = [];

beforeAll(async () => {
  clock = new ManualClock(START);
  cloud = await startLocalCloud(
    { credentials: [stsKey(1, at(HOUR))], ssm: { targets: [{ target: NODE, region: REGION }] } },
    { clock },
  );
  admin = new AdminClient(cloud);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await cloud.stop();
});

function ssmWith(key: ReturnType<typeof stsKey>): SSMClient {
  const client = new SSMClient({
    region: REGION,
    endpoint: cloud.url,
    credentials: {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.accessKeySecret,
      sessionToken: key.securityToken,
    },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

async function awsFailure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error("expected the call to fail");
}

describe("temporary credentials expire on the clock", () => {
  it("AWS: refused with ExpiredTokenException once expired; the rotated key resumes the session", async () => {
    const first = stsKey(1, at(HOUR));
    const ssm1 = ssmWith(first);
    const started = await ssm1.send(new StartSessionCommand({ Target: NODE }));
    clock.advance(HOUR - 60_000);
    await ssm1.send(new DescribeSessionsCommand({ State: "Active" }));
    // The next hour's key arrives before the first one runs out, as a credential chain refreshes.
    const second = stsKey(2, at(2 * HOUR));
    await admin.addInventory({ credentials: [second] });
    clock.advance(60_000);
    expect(await awsFailure(ssm1.send(new DescribeSessionsCommand({ State: "Active" })))).toEqual({
      name: "ExpiredTokenException",
      status: 400,
      message: "The security token included in the request is expired",
    });
    const resumed = await ssmWith(second).send(new ResumeSessionCommand({ SessionId: started.SessionId }));
    expect(resumed.StreamUrl).toBe(started.StreamUrl);
    // The inventory shows when each key expires (and masks its secrets).
    const inventory = (await admin.inventory()) as { credentials: Array<Record<string, string>> };
    expect(inventory.credentials.find((c) => c.accessKeyId === second.accessKeyId)).toEqual({
      accessKeyId: second.accessKeyId,
      accessKeySecret: "***",
      securityToken: "***",
      expiresAt: second.expiresAt,
    });
  });

  it("ACS: refused with InvalidSecurityToken.Expired once expired; a fresh key is served", async () => {
    const now = clock.now().getTime() - START.getTime();
    const key = stsKey(3, at(now + HOUR));
    await admin.addInventory({ credentials: [key] });
    const api = openApiClient(cloud, key);
    const describe = () => callRpc(api, "DescribeTerminalSessions", { RegionId: "cn-hangzhou" });
    expect((await describe()).statusCode).toBe(200);
    clock.advance(HOUR);
    const err = await acsError(describe());
    expect([err.statusCode, err.code]).toEqual([400, "InvalidSecurityToken.Expired"]);
    expect(err.data.Message).toBe("Specified SecurityToken is expired.");
    const fresh = stsKey(4, at(now + 2 * HOUR));
    await admin.addInventory({ credentials: [fresh] });
    expect(
      (await callRpc(openApiClient(cloud, fresh), "DescribeTerminalSessions", { RegionId: "cn-hangzhou" }))
        .statusCode,
    ).toBe(200);
  });

  it("only STS keys expire: expiresAt without a securityToken is refused with 400 naming the field", async () => {
    const refused = await admin
      .addInventory({ credentials: [{ accessKeyId: "AKIANOTOKEN", accessKeySecret: "s", expiresAt: at(0) }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(AdminError);
    expect(refused).toMatchObject({
      status: 400,
      body: { issues: [{ path: ["credentials", 0, "expiresAt"] }] },
    });
  });
});
