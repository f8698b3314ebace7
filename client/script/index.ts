/** Scripts of any length and bytes, with environment and stdin, run over a session's input. */
export { ecsCommandLine, ssmCommandSession, type BootstrapOptions } from "./bootstrap";
export { runEcsScript, type EcsScriptOptions } from "./ecs";
export { runSsmScript, type SsmScriptOptions, type SsmScriptTarget } from "./ssm";
export { ScriptError, type ScriptErrorCode } from "./errors";
export type { ScriptResult, ScriptRun } from "./run";
