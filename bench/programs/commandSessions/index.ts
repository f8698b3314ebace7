/** `bench:count` Commands on one ECS instance (`bench:instanceId`), each running `bench:script`. */
import * as pulumi from "@pulumi/pulumi";
import * as sessions from "pulumi-sessions";

const config = new pulumi.Config("bench");
const count = config.requireNumber("count");
const instanceId = config.require("instanceId");
const script = config.require("script");

const codes: pulumi.Output<number>[] = [];
for (let i = 0; i < count; i++) {
  const command = new sessions.alicloud.Command(`c${i}`, { instanceId, create: script, delete: script });
  codes.push(command.exitCode);
}

export const commandCount = pulumi.all(codes).apply((all) => all.length);
