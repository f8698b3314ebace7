/**
 * One resource of the package whose inputs are all secrets, as a user holding them in secret
 * config would write it.
 *
 * Config (namespace `e2e`):
 *   resource   `alicloud.TerminalSession`, `alicloud.KillInstanceSessionTask`,
 *              `alicloud.TerminalSessionRevocation`, `aws.SsmSession` or `aws.SsmSessionRevocation`
 *   inputs     the resource's inputs, as JSON
 *   wrap       `whole`: each input is one secret; `leaves`: every string, number and boolean
 *              inside the inputs is a secret of its own (objects and lists stay plain)
 */
import * as pulumi from "@pulumi/pulumi";
import * as sessions from "pulumi-sessions";

const config = new pulumi.Config("e2e");
const inputs = JSON.parse(config.require("inputs")) as Record<string, unknown>;

function secretLeaves(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(secretLeaves);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretLeaves(v)]));
  }
  return pulumi.secret(value);
}

const args = Object.fromEntries(
  Object.entries(inputs).map(([key, value]) => [
    key,
    config.require("wrap") === "whole" ? pulumi.secret(value) : secretLeaves(value),
  ]),
);

const [cloud, type] = config.require("resource").split(".") as ["alicloud" | "aws", string];
const Resource = (sessions[cloud] as unknown as Record<string, new (name: string, args: unknown) => unknown>)[
  type
];
new Resource("subject", args);
