/**
 * pulumi-sessions: cloud access sessions as Pulumi resources.
 *
 *   import { alicloud } from "pulumi-sessions";
 *   const session = new alicloud.TerminalSession("shell", { instanceIds: ["i-..."] });
 */
export * as alicloud from "./alicloud";
export * as aws from "./aws";
