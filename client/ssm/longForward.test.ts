/**
 * A two-hour port forward, simulated in seconds: the local cloud runs on a ManualClock, closes
 * every data-channel WebSocket an hour after it opened (as AWS does), and the credentials are
 * temporary (a session token, one hour each, rotated before the hour). Our client resumes each
 * close with ResumeSession signed by the credentials of the moment, and every byte gets through.
 */
import { ResumeSessionCommand, StartSessionCommand, SSMClient } from "@aws-sdk/client-ssm";
import { AdminClient } from "../../emulator/admin/client";
import { ManualClock } from "../../emulator/clock";
import { startLocalCloud, type LocalCloud } from "../../emulator/server";
import { exchange, startHashingEcho, type HashingEcho } from "./testing/forwardLoad";
import { forwardPort, resumeWith, type SsmReconnectEvent } from ".";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const REGION = "eu-west-1";
const NODE = "i-0longforward000001";

/** The `n`th hour's STS key, expiring at `expiresAt` on the local cloud's clock. */
const temporary = (n: number, expiresAt: Date) => ({
  accessKeyId: `ASIALONGFORWARD000${n}`,
  accessKeySecret: `long-forward-secret-${n}`,
  securityToken: `long-forward-session-token-${n}`,
  expiresAt: expiresAt.toISOString(),
});
type Temporary = ReturnType<typeof temporary>;

let clock: ManualClock;
let cloud: LocalCloud;
let admin: AdminClient;
let target: HashingEcho;
let current: Temporary;

/** An SSM client that asks for the credentials of the moment on every request. */
const clientOf = (credentials: () => Temporary) =>
  new SSMClient({
    region: REGION,
    endpoint: cloud.url,
    maxAttempts: 1,
    credentials: () => {
      const c = credentials();
      return Promise.resolve({
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.accessKeySecret,
        sessionToken: c.securityToken,
        // Within the SDK's refresh margin: the provider is asked again on every request.
        expiration: new Date(Date.now() + MINUTE),
      });
    },
  });

beforeAll(async () => {
  clock = new ManualClock();
  current = temporary(1, new Date(clock.now().getTime() + HOUR));
  cloud = await startLocalCloud(
    { credentials: [current], ssm: { targets: [{ target: NODE, region: REGION }] } },
    { clock },
  );
  admin = new AdminClient(cloud);
  target = await startHashingEcho();
});

afterAll(async () => {
  await target.close();
  await cloud.stop();
});

it("forwards for two simulated hours across the service's hourly closes, with credentials rotated each hour", async () => {
  await admin.setDataPlaneSettings({ ssm: { periodicCloseMs: HOUR } });
  const ssm = clientOf(() => current);
  const s = await ssm.send(
    new StartSessionCommand({
      Target: NODE,
      DocumentName: "AWS-StartPortForwardingSession",
      Parameters: { portNumber: [String(target.port)] },
    }),
  );
  const events: SsmReconnectEvent[] = [];
  const fwd = await forwardPort(
    { streamUrl: s.StreamUrl!, tokenValue: s.TokenValue!, sessionId: s.SessionId },
    { resume: resumeWith(ssm, s.SessionId!), onReconnect: (e) => events.push(e) },
  );
  const first = current;

  for (let minute = 5; minute <= 120; minute += 5) {
    // Five minutes before each hour the next key comes; the one before expires on the hour.
    if (minute % 60 === 55) {
      const hour = (minute + 5) / 60;
      current = temporary(hour + 1, new Date(clock.now().getTime() + 5 * MINUTE + HOUR));
      await admin.addInventory({ credentials: [current] });
    }
    clock.advance(5 * MINUTE);
    const closes = Math.floor(minute / 60);
    await until(() => events.filter((e) => e.outcome === "resumed").length === closes);
    // Traffic every five minutes keeps the session clear of its 20-minute idle timeout.
    const x = await exchange(fwd.port, 64 * 1024);
    expect(x).toEqual({ sent: x.sent, echoed: x.sent });
  }

  expect(events).toEqual([
    { attempt: 1, reason: "WebSocket close 1000 Bye", outcome: "retrying" },
    { attempt: 1, reason: "WebSocket close 1000 Bye", outcome: "resumed" },
    { attempt: 1, reason: "WebSocket close 1000 Bye", outcome: "retrying" },
    { attempt: 1, reason: "WebSocket close 1000 Bye", outcome: "resumed" },
  ]);
  // The first hour's key is refused by now: the resumes were signed with the later ones.
  const stale = clientOf(() => first);
  await expect(stale.send(new ResumeSessionCommand({ SessionId: s.SessionId }))).rejects.toMatchObject({
    name: "ExpiredTokenException",
  });
  stale.destroy();
  expect(target.received).toHaveLength(24);
  expect((await fwd.close()).closedBy).toBe("service");
  ssm.destroy();
});

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (!condition()) return;
      clearInterval(check);
      resolve();
    }, 5);
  });
}
