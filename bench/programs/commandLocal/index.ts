/**
 * `bench:count` local commands, each running `bench:script`: the baseline. `@pulumi/command`'s
 * `local.Command` cannot run here (its npm install script downloads the provider binary, and
 * its Go module is not on the module proxy), so this dynamic resource does what `local.Command`
 * does for `create` and `delete`: `/bin/sh -c <script>` in the provider's working folder, with the
 * engine's environment, stdout and stderr kept as outputs, a non-zero exit failing the step.
 */
import * as pulumi from "@pulumi/pulumi";

interface LocalCommandInputs {
  create: string;
  delete: string;
}

interface LocalCommandOutputs extends LocalCommandInputs {
  stdout: string;
  stderr: string;
}

/** Runs `script` in a local shell; rejects with its output on a non-zero exit, as local.Command does. */
function runShell(script: string): Promise<{ stdout: string; stderr: string }> {
  // Loaded here, not at the top: the dynamic provider is serialized with this function.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { execFile }: typeof import("node:child_process") = require("node:child_process");
  return new Promise((resolve, reject) => {
    execFile("/bin/sh", ["-c", script], (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ stdout: stdout.trimEnd(), stderr: stderr.trimEnd() });
    });
  });
}

const localCommand: pulumi.dynamic.ResourceProvider<LocalCommandInputs, LocalCommandOutputs> = {
  async create(inputs) {
    const { stdout, stderr } = await runShell(inputs.create);
    return {
      id: `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
      outs: { ...inputs, stdout, stderr },
    };
  },
  async delete(_id, props) {
    await runShell(props.delete);
  },
};

class LocalCommand extends pulumi.dynamic.Resource {
  declare public readonly stdout: pulumi.Output<string>;
  constructor(name: string, args: LocalCommandInputs) {
    super(localCommand, name, { ...args, stdout: undefined, stderr: undefined }, {}, "bench", "LocalCommand");
  }
}

const config = new pulumi.Config("bench");
const count = config.requireNumber("count");
const script = config.require("script");

const outputs: pulumi.Output<string>[] = [];
for (let i = 0; i < count; i++)
  outputs.push(new LocalCommand(`c${i}`, { create: script, delete: script }).stdout);

export const commandCount = pulumi.all(outputs).apply((all) => all.length);
