/**
 * The package as a user installs it: the packed tarball in a folder outside the repo, beside the
 * @pulumi/pulumi programs use (the current one, or the CI leg's oldest supported), with none of
 * the repo's node_modules reachable. A program laid out by `pulumi new typescript` type-checks
 * against it, the local cloud starts from the installed bin, and a TerminalSession goes through
 * up, refresh and destroy.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { installProgram, lockedVersion, packPackage } from "../support/installedPackage";
import { TestStack } from "../support/harness";
import { programsDir, repoRoot } from "../support/paths";
import { EVERY_CLASS_PROGRAM, TEMPLATE_TSCONFIG } from "./fixtures/newTypescriptProgram";

const REGION = "cn-hangzhou";
const INSTANCE = "i-installed0001";
const KEY = { accessKeyId: "LTAIinstalled0001", accessKeySecret: "installed-secret-0001" };
/** The @pulumi/pulumi of the programs: the CI leg's oldest supported one, else the repo's own. */
const PULUMI_VERSION = process.env.PULUMI_SESSIONS_PROGRAM_PULUMI ?? lockedVersion("@pulumi/pulumi");

interface NpmTree {
  version?: string;
  dependencies?: Record<string, NpmTree>;
}

/** Every path at which `name` is installed in an `npm ls --all --json` tree, with its version. */
function copiesOf(tree: NpmTree, name: string, at = ""): string[] {
  return Object.entries(tree.dependencies ?? {}).flatMap(([dep, sub]) => [
    ...(dep === name ? [`${at}${dep}@${sub.version}`] : []),
    ...copiesOf(sub, name, `${at}${dep} > `),
  ]);
}

describe("the packed package, installed as a user installs it", () => {
  let dir: string;
  let npmOutput: string;
  let cloud: ChildProcess | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sessions-installed-"));
    const tarball = packPackage(path.join(dir, "tarball"));
    npmOutput = installProgram(path.join(dir, "program"), tarball, {
      "@pulumi/pulumi": PULUMI_VERSION,
      // What `pulumi new typescript` adds for the editor and `tsc`.
      typescript: lockedVersion("typescript"),
      "@types/node": lockedVersion("@types/node"),
    });
  });

  afterAll(() => {
    cloud?.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the folder is outside the repo: nothing resolves from the repo's node_modules", () => {
    expect(path.relative(repoRoot, dir).startsWith("..")).toBe(true);
    // A dev dependency of the repo must not be found from the program folder.
    expect(() => require.resolve("jest", { paths: [path.join(dir, "program")] })).toThrow();
  });

  test("npm installs exactly one @pulumi/pulumi, shared by the program and the package", () => {
    const tree = JSON.parse(
      execFileSync("npm", ["ls", "@pulumi/pulumi", "--all", "--json"], {
        cwd: path.join(dir, "program"),
        encoding: "utf8",
      }),
    ) as NpmTree;
    const versions = new Set(copiesOf(tree, "@pulumi/pulumi").map((c) => c.split("@").pop()));
    expect([...versions]).toEqual([PULUMI_VERSION]);
    expect(
      fs.existsSync(path.join(dir, "program/node_modules/pulumi-sessions/node_modules/@pulumi/pulumi")),
    ).toBe(false);
  });

  test("npm reports no engine or peer problem for the package", () => {
    expect(npmOutput).not.toMatch(/EBADENGINE|ERESOLVE|peer dep|deprecated pulumi-sessions/i);
  });

  test("every module the package's built code requires is a dependency, not a dev dependency", () => {
    const installed = path.join(dir, "program/node_modules/pulumi-sessions");
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {})]);
    const required = new Set<string>();
    const walk = (folder: string) => {
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const file = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith(".js")) {
          for (const [, spec] of fs.readFileSync(file, "utf8").matchAll(/require\("([^".][^"]*)"\)/g)) {
            if (spec.startsWith("node:") || spec.startsWith("pulumi-sessions")) continue;
            required.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
          }
        }
      }
    };
    walk(path.join(installed, "dist"));
    const builtins = new Set(builtinModules);
    const missing = [...required].filter((m) => !allowed.has(m) && !builtins.has(m));
    expect(missing).toEqual([]);
    expect(required.size).toBeGreaterThan(3);
  });

  test("a program with `pulumi new typescript`'s tsconfig.json type-checks against every public class", () => {
    const program = path.join(dir, "program");
    fs.writeFileSync(path.join(program, "tsconfig.json"), TEMPLATE_TSCONFIG);
    fs.writeFileSync(path.join(program, "index.ts"), EVERY_CLASS_PROGRAM);
    const tsc = path.join(program, "node_modules", ".bin", "tsc");
    // --pretty false: the template turns it on; a failure reads better as plain text.
    const checked = spawnSync(tsc, ["--noEmit", "--pretty", "false"], { cwd: program, encoding: "utf8" });
    expect(`${checked.stdout}${checked.stderr}`).toBe("");
    expect(checked.status).toBe(0);
    // The check reached the package's declarations (strict, without skipLibCheck).
    const listed = spawnSync(tsc, ["--noEmit", "--listFilesOnly"], { cwd: program, encoding: "utf8" }).stdout;
    expect(listed).toMatch(
      /node_modules\/pulumi-sessions\/dist\/sdk\/alicloud\/killInstanceSessionTask\.d\.ts/,
    );
    expect(listed).toMatch(/node_modules\/pulumi-sessions\/dist\/client\/index\.d\.ts/);
    expect(listed).not.toMatch(/node_modules\/zod\//);
    expect(listed).not.toMatch(/node_modules\/(@types\/)?ws\//);
  });

  test("the installed bin starts the local cloud; up, refresh and destroy of a session work", async () => {
    const program = path.join(dir, "program");
    const configFile = path.join(dir, "local-cloud.json");
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        credentials: [KEY],
        ecs: { instances: [{ instanceId: INSTANCE, regionId: REGION }] },
      }),
    );
    const started = spawn(
      path.join(program, "node_modules", ".bin", "pulumi-sessions"),
      ["local-cloud", "--config", configFile, "--port", "0"],
      { cwd: program, stdio: ["ignore", "pipe", "inherit"] },
    );
    cloud = started;
    const info = await new Promise<{ url: string }>((resolve, reject) => {
      createInterface({ input: started.stdout! }).once("line", (line) =>
        resolve(JSON.parse(line) as { url: string }),
      );
      started.once("exit", (code) => reject(new Error(`the local cloud exited with ${code}`)));
    });

    const stack = await TestStack.create({
      program: path.join(programsDir, "terminal-session"),
      under: path.join(program, "stacks"),
      config: { "alicloud:region": REGION, "sessions:localCloud": info.url, "e2e:instanceId": INSTANCE },
      secrets: { "alicloud:accessKey": KEY.accessKeyId, "alicloud:secretKey": KEY.accessKeySecret },
    });
    try {
      const up = await stack.up();
      expect(up.stdout).toContain("created");
      const [session] = await stack.resourcesOfType("pulumi-nodejs:dynamic/alicloud:TerminalSession");
      expect(session.id).toMatch(/^s-/);
      const refresh = await stack.refresh();
      expect(refresh.stdout).not.toMatch(/deleted/);
      expect((await stack.resourcesOfType("pulumi-nodejs:dynamic/alicloud:TerminalSession"))[0].id).toBe(
        session.id,
      );
      await stack.destroy();
      expect(await stack.resources()).toEqual([]);
      for (const output of [up.stdout, up.stderr]) expect(output).not.toMatch(/^\s*Warning:/m);
    } finally {
      stack.cleanup();
    }
  });
});
