/**
 * Commands as users write them, importing the installed package by name.
 *
 * Config (namespace `e2e`):
 *   cloud         alicloud or aws
 *   instance      the instance (alicloud) or managed node (aws) the scripts run on
 *   commands      JSON list of { name, args, secretEnv?, secretStdin? }: one Command each; secretEnv
 *                 names an environment variable and secretStdin asks for stdin, set to `secret`
 *   secret        secret config: the value secretEnv and secretStdin carry
 */
import * as pulumi from "@pulumi/pulumi";
import { alicloud, aws } from "pulumi-sessions";

interface Spec {
  name: string;
  args: Record<string, unknown>;
  secretEnv?: string;
  secretStdin?: boolean;
}

const config = new pulumi.Config("e2e");
const cloud = config.require("cloud");
const instance = config.require("instance");
const secret = config.getSecret("secret");
const specs = JSON.parse(config.get("commands") ?? "[]") as Spec[];

export const stdout: Record<string, pulumi.Output<string>> = {};
export const stderr: Record<string, pulumi.Output<string>> = {};

for (const spec of specs) {
  const args: Record<string, unknown> = { ...spec.args };
  if (spec.secretEnv) {
    args.environment = { ...(args.environment as object | undefined), [spec.secretEnv]: secret };
  }
  if (spec.secretStdin) args.stdin = secret;
  const command =
    cloud === "aws"
      ? new aws.Command(spec.name, { target: instance, ...args } as aws.CommandArgs)
      : new alicloud.Command(spec.name, { instanceId: instance, ...args } as alicloud.CommandArgs);
  stdout[spec.name] = command.stdout;
  stderr[spec.name] = command.stderr;
}
