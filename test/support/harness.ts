import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { programsDir, workRoot } from "./paths";
import { pidsWithEnv } from "./processes";

/** Result of one CLI invocation. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
  op: string;
  urn: string;
  newState?: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  oldState?: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  keys?: string[];
}

export interface PreviewResult {
  steps: PreviewStep[];
  diagnostics?: { message: string; severity: string; urn?: string }[];
  changeSummary?: Record<string, number>;
}

/** A resource as `pulumi stack export` stores it. */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  additionalSecretOutputs?: string[];
  /** Where the program registered the resource (`project:///index.ts#12,5`). */
  sourcePosition?: string;
  /** The program's call stack at registration, innermost first. */
  stackTrace?: { sourcePosition?: string }[];
}

export interface StackOptions {
  /** Folder under test/e2e/programs, or an absolute path to a program folder. */
  program: string;
  /** Plain stack config (`key` or `ns:key`). */
  config?: Record<string, string>;
  /** Secret stack config (`pulumi config set --secret`). */
  secrets?: Record<string, string>;
  /** Extra environment for every CLI call (and so for the program and providers). */
  env?: Record<string, string>;
  stackName?: string;
  /** The folder to make the stack's work folder in (default workRoot()); programs resolve its node_modules. */
  under?: string;
}

/** Pulumi's value for "unknown during preview". */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function engineBin(): string {
  const bin = process.env.PULUMI_SESSIONS_ENGINE_BIN;
  if (!bin)
    throw new Error("PULUMI_SESSIONS_ENGINE_BIN is not set: run the e2e tests through jest (globalSetup)");
  return bin;
}

/**
 * A stack in its own world: a private PULUMI_HOME, a `file://` backend and a copy
 * of the program, all removed by `cleanup()`.
 */
export class TestStack {
  readonly stackName: string;
  private constructor(
    readonly workDir: string,
    readonly programDir: string,
    readonly home: string,
    readonly backendDir: string,
    readonly projectName: string,
    private readonly env: Record<string, string>,
    stackName: string,
  ) {
    this.stackName = stackName;
  }

  static async create(options: StackOptions): Promise<TestStack> {
    const source = path.isAbsolute(options.program)
      ? options.program
      : path.join(programsDir, options.program);
    const under = options.under ?? workRoot();
    fs.mkdirSync(under, { recursive: true });
    const workDir = fs.mkdtempSync(path.join(under, `${path.basename(source)}-`));
    const programDir = path.join(workDir, "program");
    fs.cpSync(source, programDir, { recursive: true });
    const home = path.join(workDir, "home");
    const backendDir = path.join(workDir, "state");
    fs.mkdirSync(home);
    fs.mkdirSync(backendDir);
    const projectName = readProjectName(programDir);
    const stackName = options.stackName ?? "test";
    const stack = new TestStack(
      workDir,
      programDir,
      home,
      backendDir,
      projectName,
      options.env ?? {},
      stackName,
    );
    await stack.pulumi(["stack", "init", stackName]);
    for (const [key, value] of Object.entries(options.config ?? {})) await stack.setConfig(key, value);
    for (const [key, value] of Object.entries(options.secrets ?? {})) await stack.setConfig(key, value, true);
    return stack;
  }

  /** Runs the CLI in the program folder; throws with the output when it fails unless `allowFailure`. */
  /** The environment every CLI call gets: the engine first on PATH, this stack's home and backend. */
  cliEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${engineBin()}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true",
      AWS_EC2_METADATA_DISABLED: "true",
      NO_COLOR: "1",
      ...this.env,
    };
  }

  async pulumi(
    args: string[],
    opts: { allowFailure?: boolean; signal?: AbortSignal } = {},
  ): Promise<CliResult> {
    const env = this.cliEnv();
    const fullArgs = [...args, "--non-interactive"];
    if (!["stack init", "config set"].includes(args.slice(0, 2).join(" ")))
      fullArgs.push("--stack", this.stackName);
    const result = await new Promise<CliResult>((resolve) => {
      execFile(
        "pulumi",
        fullArgs,
        { cwd: this.programDir, env, maxBuffer: 256 * 1024 * 1024, signal: opts.signal },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
    if (result.code !== 0 && !opts.allowFailure) {
      throw new Error(
        `pulumi ${args.join(" ")} failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result;
  }

  async setConfig(key: string, value: string, secret = false): Promise<void> {
    const args = ["config", "set", key, value, "--stack", this.stackName];
    if (secret) args.push("--secret");
    await this.pulumi(args);
  }

  /** `pulumi preview --json`; on failure the result carries the CLI output for assertions. */
  async preview(opts: { allowFailure?: boolean } = {}): Promise<PreviewResult & CliResult> {
    const result = await this.pulumi(["preview", "--json"], opts);
    const parsed = tryParseJson<PreviewResult>(result.stdout) ?? { steps: [] };
    return { ...parsed, ...result };
  }

  up(opts: { allowFailure?: boolean; signal?: AbortSignal } = {}): Promise<CliResult> {
    return this.pulumi(["up", "--yes", "--skip-preview"], opts);
  }

  refresh(opts: { allowFailure?: boolean } = {}): Promise<CliResult> {
    return this.pulumi(["refresh", "--yes", "--skip-preview"], opts);
  }

  destroy(opts: { allowFailure?: boolean } = {}): Promise<CliResult> {
    return this.pulumi(["destroy", "--yes", "--skip-preview"], opts);
  }

  /** Stack outputs with secrets shown. */
  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.pulumi(["stack", "output", "--json", "--show-secrets"]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** `pulumi stack export` as text (what a user would share or commit). */
  async exportText(): Promise<string> {
    return (await this.pulumi(["stack", "export"])).stdout;
  }

  /** The resources of `pulumi stack export`. */
  async resources(): Promise<StateResource[]> {
    const exported = JSON.parse(await this.exportText()) as { deployment: { resources?: StateResource[] } };
    return exported.deployment.resources ?? [];
  }

  /** The resources of one type (e.g. `pulumi-nodejs:dynamic/alicloud:TerminalSession`). */
  async resourcesOfType(type: string): Promise<StateResource[]> {
    return (await this.resources()).filter((r) => r.type === type);
  }

  /** The raw checkpoint file the `file://` backend wrote, as text. */
  rawState(): string {
    const file = path.join(this.backendDir, ".pulumi", "stacks", this.projectName, `${this.stackName}.json`);
    return fs.readFileSync(file, "utf8");
  }

  /**
   * Removes the stack's folders, first ending what its commands left running: a CLI stopped hard
   * (two Ctrl-Cs, a killed test) leaves the engine's plugin hosts orphaned, and the Node.js
   * dynamic provider host serves on forever.
   */
  cleanup(): void {
    for (const pid of pidsWithEnv("PULUMI_HOME", this.home)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

function readProjectName(programDir: string): string {
  const text = fs.readFileSync(path.join(programDir, "Pulumi.yaml"), "utf8");
  const match = /^name:\s*(\S+)/m.exec(text);
  if (!match) throw new Error(`${programDir}/Pulumi.yaml has no name`);
  return match[1];
}

function tryParseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A unique suffix for names that must not collide between tests. */
export function uniqueSuffix(): string {
  return crypto.randomBytes(4).toString("hex");
}
