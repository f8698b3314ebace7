/**
 * `reliability:count` TerminalSessions, spread round-robin over `reliability:targets`
 * (`[{instanceId, region}]`). Exports the session ids and, as secrets, their WebSocket URLs,
 * so a test can connect to the sessions as a user would.
 */
import * as pulumi from "@pulumi/pulumi";
import * as sessions from "pulumi-sessions";

interface Target {
  instanceId: string;
  region: string;
}

const config = new pulumi.Config("reliability");
const count = config.requireNumber("count");
const targets = config.requireObject<Target[]>("targets");

const all: sessions.alicloud.TerminalSession[] = [];
for (let i = 0; i < count; i++) {
  const target = targets[i % targets.length];
  all.push(
    new sessions.alicloud.TerminalSession(`s${i}`, {
      region: target.region,
      instanceIds: [target.instanceId],
    }),
  );
}

export const sessionIds = all.map((s) => s.id);
export const webSocketUrls = all.map((s) => s.webSocketUrl);
