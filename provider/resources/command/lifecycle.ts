/**
 * The lifecycle both Command resources share, shaped like `@pulumi/command`'s `remote.Command`:
 * create runs `create`; a change of a script, `environment` or stdin runs `update` (`create`
 * when there is none) in place; a change of `triggers`, the instance or the region replaces;
 * delete runs `delete`, when given, with the inputs in state; read keeps the record (a past run
 * cannot be read back).
 *
 * Each run opens a session of its own (the cloud's part: {@link CommandCloud}), runs the script
 * through it and ends it, whatever happens. A non-zero exit or a timeout fails the step with the
 * exit code and the last lines of output, masked; a failed create leaves nothing in state.
 * Sessions wait for a slot per instance and region ({@link SessionSlots}), so that many
 * Commands on one instance queue instead of hitting the cloud's session limits.
 */
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import { SECRET_STREAMS_PROPERTY, SECRET_VALUES_PROPERTY } from "../../../sdk/contract/resources";
import { settingsFromEnv, type Environment, type ProviderSettings } from "../../config";
import { changedInputKeys, checkInputs, pickInputs, PROVIDER_PROPERTY } from "../../inputs";
import type { Lifecycle } from "../../lifecycle";
import { defined, isAbsent, validate, type CheckFailure, type Fail } from "../../validation";
import { interruptible } from "./interrupts";
import { COMMAND_LIMITS } from "./limits";
import { LiveLog, loggedStreams, maskerFor, outputTail, type Masker } from "./output";
import type { ScriptErrorCode, ScriptResult, ScriptRun } from "./script";
import { SessionSlots, type SlotLimits } from "./slots";

/** A session opened for one script run. */
export interface CommandSession {
  /** The cloud's session id, for messages. */
  sessionId: string;
  /** Runs the script over the session (see `client/script`). */
  run(run: ScriptRun): Promise<ScriptResult>;
}

/** What differs between the clouds. */
export interface CommandCloud {
  /** The resource as users name it, for messages: `alicloud.Command`. */
  kind: string;
  /** The input naming the instance (`instanceId`, `target`). */
  instanceKey: string;
  /** The inputs schema, its input names and the cross-field rules (loaded on first use). */
  schema(): {
    inputs: z.ZodObject;
    inputKeys: readonly string[];
    rules(v: Record<string, unknown>, fail: Fail): void;
  };
  /** Inputs besides `triggers`, `region` and the instance whose change replaces the command. */
  replacingKeys: readonly string[];
  /** The stack's default region, if any. */
  defaultRegion(settings: ProviderSettings): string | undefined;
  /** The failure when no region is set anywhere. */
  regionRequired: string;
  /** Sessions this process holds at once, per instance and per region. */
  slots: SlotLimits;
  /** Starts a session for one run. */
  open(settings: ProviderSettings, region: string, inputs: Record<string, unknown>): Promise<CommandSession>;
  /** Ends a session (an ended or unknown one counts as done). */
  end(settings: ProviderSettings, region: string, sessionId: string): Promise<void>;
  /** True for the cloud's "too many sessions" answer, from sessions other processes hold. */
  isBusy(err: unknown): boolean;
}

/** What the lifecycle needs from its surroundings; tests replace parts. */
export interface CommandDeps {
  /** The environment settings fall back to (default `process.env`). */
  env?: Environment;
  /** Where live output and warnings go (default: standard error, which the engine shows). */
  log?: (line: string) => void;
  /** Waits before starting a session again after the cloud said it holds too many. */
  sleep?: (ms: number) => Promise<void>;
  /** The local clock (default `Date.now`). */
  now?: () => number;
}

/** Why a run failed: `NonZeroExit`, or `client/script`'s codes (`Timeout`, `Aborted`, ...). */
export class CommandError extends Error {
  readonly code: "NonZeroExit" | ScriptErrorCode;
  /** The script's exit code, when it exited. */
  readonly exitCode?: number;
  /** The session the script ran in (ended by the time this is thrown). */
  readonly sessionId: string;
  constructor(code: CommandError["code"], message: string, sessionId: string, exitCode?: number) {
    super(message);
    this.name = "CommandError";
    this.code = code;
    this.sessionId = sessionId;
    this.exitCode = exitCode;
  }
}

/** The steps a script runs for. */
type Step = "create" | "update" | "delete";

/** What a Command's state holds besides its inputs. */
const NOT_INPUTS = new Set([
  "stdout",
  "stderr",
  "exitCode",
  SECRET_STREAMS_PROPERTY,
  SECRET_VALUES_PROPERTY,
  PROVIDER_PROPERTY,
]);

/** Inputs whose change runs the `update` script (the others update the record only). */
const RERUN_KEYS = ["create", "update", "environment", "stdin", "stdinBase64"];
/** Waits between starts the cloud refused for too many sessions: 1 s, doubling, at most 15 s. */
const BUSY_WAIT_MS = { first: 1_000, max: 15_000 };

/** The engine's secret envelope (what a provider returns for a value state must keep secret). */
function secretValue(value: string): Record<string, string> {
  return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

/** The input paths a program marked secret (SECRET_VALUES_PROPERTY), if it said. */
function secretPaths(props: Record<string, unknown>): string[] | undefined {
  const paths = props[SECRET_VALUES_PROPERTY];
  return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === "string") : undefined;
}

/**
 * The values a run's log masks: those the program marked secret; every environment value and
 * the stdin text when nobody said which are (masking a plain value is the lesser harm).
 */
function maskedValues(
  paths: string[] | undefined,
  environment: Record<string, string> | undefined,
  stdin: Buffer | undefined,
): string[] {
  const stdinText = stdin?.toString("utf8") ?? "";
  const entries = Object.entries(environment ?? {});
  if (!paths) return [...entries.map(([, v]) => v), stdinText];
  const marked = new Set(paths);
  return [
    ...entries.filter(([k]) => marked.has("environment") || marked.has(`environment.${k}`)).map(([, v]) => v),
    ...(marked.has("stdin") || marked.has("stdinBase64") ? [stdinText] : []),
  ];
}

/** A message's quote of the output: the tail of each stream that has any, masked. */
function quoted(stdout: string, stderr: string, mask: Masker): string {
  const parts = [
    stdout.trim() ? `stdout:\n${outputTail(stdout, mask)}` : "",
    stderr.trim() ? `stderr:\n${outputTail(stderr, mask)}` : "",
  ].filter(Boolean);
  return parts.length > 0 ? ` Last lines of output:\n${parts.join("\n")}` : " It printed nothing.";
}

/** Creates the lifecycle of a Command on `cloud`. */
export function commandLifecycle(cloud: CommandCloud, deps: CommandDeps = {}): Lifecycle {
  const env = deps.env ?? process.env;
  const log = deps.log ?? ((line: string) => void process.stderr.write(line));
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const slots = new SessionSlots(cloud.slots);
  let settings: ProviderSettings | undefined;

  function current(): ProviderSettings {
    // Engines before configure support (3.139) never call it: fall back to the environment.
    settings ??= settingsFromEnv(env);
    return settings;
  }

  const userInputs = (props: Record<string, unknown>) => pickInputs(cloud.schema().inputKeys, props);

  function regionOf(props: Record<string, unknown>, id: string): string {
    const region = typeof props.region === "string" ? props.region : cloud.defaultRegion(current());
    if (!region) throw new Error(`cannot run a script of command ${id}: ${cloud.regionRequired}`);
    return region;
  }

  /** The outputs of a run (or of the last one), secret when `from` says any input is. */
  function outputs(
    inputs: Record<string, unknown>,
    from: Record<string, unknown>,
    last: Record<string, unknown>,
  ) {
    const secret = from[SECRET_STREAMS_PROPERTY] === true;
    const stream = (v: unknown) => (secret ? secretValue(String(v ?? "")) : String(v ?? ""));
    return defined({
      ...inputs,
      ...(secret ? { [SECRET_STREAMS_PROPERTY]: true } : {}),
      // The next run (an update, the delete) masks the same values.
      [SECRET_VALUES_PROPERTY]: secretPaths(from),
      stdout: stream(last.stdout),
      stderr: stream(last.stderr),
      exitCode: typeof last.exitCode === "number" ? last.exitCode : 0,
    });
  }

  /** Starts a session, waiting while the cloud holds too many of them (other processes' too). */
  async function open(region: string, inputs: Record<string, unknown>, signal: AbortSignal) {
    for (let wait = BUSY_WAIT_MS.first; ; wait = Math.min(wait * 2, BUSY_WAIT_MS.max)) {
      try {
        return await cloud.open(current(), region, inputs);
      } catch (err) {
        if (!cloud.isBusy(err) || signal.aborted) throw err;
        await sleep(wait);
      }
    }
  }

  /** Runs one script in a session of its own, and ends the session whatever happens. */
  async function runScript(step: Step, script: string, props: Record<string, unknown>, id: string) {
    const inputs = userInputs(props);
    const region = regionOf(props, id);
    const instance = String(inputs[cloud.instanceKey]);
    const environment = inputs.environment as Record<string, string> | undefined;
    const stdin =
      typeof inputs.stdin === "string"
        ? Buffer.from(inputs.stdin)
        : typeof inputs.stdinBase64 === "string"
          ? Buffer.from(inputs.stdinBase64, "base64")
          : undefined;
    const mask = maskerFor(maskedValues(secretPaths(props), environment, stdin));
    const timeoutMs = ((inputs.timeout as number | undefined) ?? COMMAND_LIMITS.defaultTimeoutSeconds) * 1000;
    const what = `${cloud.kind} ${step} on ${instance}`;
    return slots.run(region, instance, () =>
      interruptible(async (signal) => {
        const started = now();
        const session = await open(region, inputs, signal);
        const live = new LiveLog(loggedStreams(inputs.logging as string | undefined), what, mask, log);
        try {
          const result = await session.run({
            script,
            environment,
            stdin,
            timeoutMs,
            signal,
            onOutput: (stream, chunk) => live.chunk(stream, chunk),
          });
          live.flush();
          const stdout = result.stdout.toString("utf8");
          const stderr = result.stderr.toString("utf8");
          if (result.exitCode !== 0) {
            throw new CommandError(
              "NonZeroExit",
              `${what} exited with code ${result.exitCode} (session ${session.sessionId}).${quoted(stdout, stderr, mask)}`,
              session.sessionId,
              result.exitCode,
            );
          }
          return { stdout, stderr, exitCode: result.exitCode };
        } catch (err) {
          live.flush();
          throw runFailure(err, what, session.sessionId, mask, Math.round((now() - started) / 1000));
        } finally {
          await cloud.end(current(), region, session.sessionId).catch((err: unknown) => {
            log(`${what}: ending session ${session.sessionId} failed: ${(err as Error).message}\n`);
          });
        }
      }),
    );
  }

  return {
    configure(resolved) {
      settings = resolved;
    },

    async check(_olds, news) {
      const { inputs } = checkInputs(news);
      const secret = inputs[SECRET_STREAMS_PROPERTY] === true;
      const paths = secretPaths(inputs);
      delete inputs[SECRET_STREAMS_PROPERTY];
      delete inputs[SECRET_VALUES_PROPERTY];
      if (isAbsent(inputs.region)) {
        const region = cloud.defaultRegion(current());
        if (region) inputs.region = region;
      }
      const { inputs: schema, rules } = cloud.schema();
      const { failures } = validate(schema, inputs, rules);
      if (isAbsent(inputs.region)) failures.push({ property: "region", reason: cloud.regionRequired });
      if (secret) inputs[SECRET_STREAMS_PROPERTY] = true;
      if (paths) inputs[SECRET_VALUES_PROPERTY] = paths;
      return { inputs, failures: failures as CheckFailure[] };
    },

    async diff(_id, olds, news) {
      const keys = cloud.schema().inputKeys;
      const changed = changedInputKeys(keys, olds, news);
      const replacing = new Set(["triggers", "region", cloud.instanceKey, ...cloud.replacingKeys]);
      const secretness =
        (olds[SECRET_STREAMS_PROPERTY] === true) !== (news[SECRET_STREAMS_PROPERTY] === true) ||
        String(secretPaths(olds)) !== String(secretPaths(news));
      return {
        changes: changed.length > 0 || secretness,
        replaces: changed.filter((k) => replacing.has(k)),
        // The new command runs before the old one's `delete`, as `remote.Command` does.
        deleteBeforeReplace: false,
      };
    },

    async create(props) {
      const id = randomBytes(8).toString("hex");
      const result = await runScript("create", String(props.create), props, id);
      return { id, outs: outputs(userInputs(props), props, result) };
    },

    async read(id, props) {
      // A past run cannot be read back: keep the record as it is. The inputs are what state holds
      // besides the outputs, so a read needs no schema (and never loads zod).
      const state = props ?? {};
      const inputs = Object.fromEntries(Object.entries(state).filter(([k]) => !NOT_INPUTS.has(k)));
      return { id, props: outputs(inputs, state, state) };
    },

    async update(id, olds, news) {
      if (changedInputKeys(RERUN_KEYS, olds, news).length === 0) {
        return { outs: outputs(userInputs(news), news, olds) };
      }
      const script = typeof news.update === "string" ? news.update : String(news.create);
      const result = await runScript("update", script, news, id);
      return { outs: outputs(userInputs(news), news, result) };
    },

    async delete(id, props) {
      if (typeof props.delete === "string") await runScript("delete", props.delete, props, id);
    },
  };
}

/** A failed run as the engine shows it: what, where, the exit code or why there is none, the output's tail. */
function runFailure(err: unknown, what: string, sessionId: string, mask: Masker, seconds: number): Error {
  if (err instanceof CommandError) return err;
  const code = (err as { code?: unknown }).code;
  const tail = (err as { outputTail?: unknown }).outputTail;
  const output = typeof tail === "string" && tail.trim() ? quoted(tail, "", mask) : " It printed nothing.";
  switch (code) {
    case "Timeout":
      return new CommandError(
        code,
        `${what} timed out after ${seconds} s, with no exit code: it was stopped and its session ${sessionId} ended. ` +
          `Raise timeout if it needs longer.${output}`,
        sessionId,
      );
    case "Aborted":
      return new CommandError(
        code,
        `${what} was stopped (the deployment was interrupted), with no exit code; its session ${sessionId} ended.${output}`,
        sessionId,
      );
    case "SessionEnded":
    case "Protocol":
      return new CommandError(
        code,
        `${what} lost its session ${sessionId} before the script exited (${mask((err as Error).message)}).${output}`,
        sessionId,
      );
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}
