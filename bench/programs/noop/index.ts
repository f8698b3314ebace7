/**
 * `bench:count` no-op dynamic resources: the same engine work as the sessions program (register,
 * check, create, delete through the dynamic provider process), no cloud behind it. The provider
 * is inline, so its code is serialized by value: the smallest a dynamic provider gets.
 */
import * as pulumi from "@pulumi/pulumi";

const noop: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: `noop-${inputs.index}-${Date.now().toString(36)}`, outs: inputs };
  },
};

class Noop extends pulumi.dynamic.Resource {
  constructor(name: string, index: number, pad: string) {
    super(noop, name, pad === "" ? { index } : { index, pad }, {}, "bench", "Noop");
  }
}

const config = new pulumi.Config("bench");
const count = config.requireNumber("count");
// Attribution only: an input of this many bytes (kept as an output too) gives each no-op
// resource the state size of a TerminalSession, to tell state size from provider work.
const pad = "x".repeat(config.getNumber("padBytes") ?? 0);
const ids: pulumi.Output<string>[] = [];
for (let i = 0; i < count; i++) ids.push(new Noop(`n${i}`, i, pad).id);

export const resourceCount = pulumi.all(ids).apply((all) => all.length);
