/**
 * `sdk/schemaTypes.ts` is printed from the zod schemas' inferred types; `tsc` (part of `npm
 * test`) fails to compile this file when a printed type and the inferred one differ in either
 * direction. The schema test fails when the printed file is stale.
 */
import type * as generated from "./schemaTypes";
import type * as alicloudCommand from "../provider/resources/alicloudCommand/schema";
import type * as awsCommand from "../provider/resources/awsCommand/schema";
import type * as command from "../provider/resources/command/schema";
import type * as kill from "../provider/resources/killInstanceSessionTask/schema";
import type * as revocation from "../provider/resources/revocation/schema";
import type * as ssm from "../provider/resources/ssmSession/schema";
import type * as ssmRevocation from "../provider/resources/ssmSessionRevocation/schema";
import type * as terminal from "../provider/resources/terminalSession/schema";
import type * as terminalRevocation from "../provider/resources/terminalSessionRevocation/schema";
import type * as tunnel from "../provider/tunnel/schema";
import { PUBLIC_TYPES } from "../scripts/schema/publicTypes";

/** True only when TypeScript sees the two types as identical. */
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** `T` with every field required, at every depth: a missing optional field then shows. */
type Required_<T> = T extends readonly (infer U)[]
  ? Required_<U>[]
  : T extends object
    ? { [K in keyof T]-?: Required_<T[K]> }
    : T;

type Same<A, B> =
  Identical<A, B> extends true ? (Identical<Required_<A>, Required_<B>> extends true ? true : false) : false;

const same = {
  TerminalSessionInputs: true,
  TerminalSessionEncryptionOptions: true,
  TerminalSessionComputed: true,
  KillInstanceSessionTaskInputs: true,
  KillTaskOutput: true,
  TerminalSessionRevocationInputs: true,
  SsmSessionInputs: true,
  SsmSessionRevocationInputs: true,
  RevocationSession: true,
  AwsTunnelInputs: true,
  AlicloudTunnelInputs: true,
  AlicloudCommandInputs: true,
  AwsCommandInputs: true,
  CommandComputed: true,
} satisfies {
  TerminalSessionInputs: Same<generated.TerminalSessionInputs, terminal.TerminalSessionInputs>;
  TerminalSessionEncryptionOptions: Same<
    generated.TerminalSessionEncryptionOptions,
    terminal.TerminalSessionEncryptionOptions
  >;
  TerminalSessionComputed: Same<generated.TerminalSessionComputed, terminal.TerminalSessionComputed>;
  KillInstanceSessionTaskInputs: Same<
    generated.KillInstanceSessionTaskInputs,
    kill.KillInstanceSessionTaskInputs
  >;
  KillTaskOutput: Same<generated.KillTaskOutput, kill.KillTaskOutput>;
  TerminalSessionRevocationInputs: Same<
    generated.TerminalSessionRevocationInputs,
    terminalRevocation.TerminalSessionRevocationInputs
  >;
  SsmSessionInputs: Same<generated.SsmSessionInputs, ssm.SsmSessionInputs>;
  SsmSessionRevocationInputs: Same<
    generated.SsmSessionRevocationInputs,
    ssmRevocation.SsmSessionRevocationInputs
  >;
  RevocationSession: Same<generated.RevocationSession, revocation.RevocationSession>;
  AwsTunnelInputs: Same<generated.AwsTunnelInputs, tunnel.AwsTunnelInputs>;
  AlicloudTunnelInputs: Same<generated.AlicloudTunnelInputs, tunnel.AlicloudTunnelInputs>;
  AlicloudCommandInputs: Same<generated.AlicloudCommandInputs, alicloudCommand.AlicloudCommandInputs>;
  AwsCommandInputs: Same<generated.AwsCommandInputs, awsCommand.AwsCommandInputs>;
  CommandComputed: Same<generated.CommandComputed, command.CommandComputed>;
};

test("every printed public type is checked against its zod-inferred original", () => {
  expect(Object.keys(same).sort()).toEqual(PUBLIC_TYPES.map((t) => t.name).sort());
});
