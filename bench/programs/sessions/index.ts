/**
 * `bench:count` TerminalSessions, spread round-robin over `bench:targets` (instances in one or
 * more regions: the cloud allows 100 active sessions per region).
 */
import * as pulumi from "@pulumi/pulumi";
import * as sessions from "pulumi-sessions";

interface Target {
  instanceId: string;
  region: string;
}

const config = new pulumi.Config("bench");
const count = config.requireNumber("count");
const targets = config.requireObject<Target[]>("targets");

const ids: pulumi.Output<string>[] = [];
for (let i = 0; i < count; i++) {
  const target = targets[i % targets.length];
  const session = new sessions.alicloud.TerminalSession(`s${i}`, {
    region: target.region,
    instanceIds: [target.instanceId],
  });
  ids.push(session.id);
}

export const sessionCount = pulumi.all(ids).apply((all) => all.length);
