/**
 * Check failures of secret inputs under the real engine: every input of every resource, held
 * as a secret (whole, or leaf by leaf inside lists and objects) and invalid, fails `pulumi
 * preview` naming the field, and no part of its value reaches the terminal. Values the user did not mark secret are shown once, by the engine, and
 * never `{<nil>}` for a field that is set.
 */
import * as net from "node:net";
import { TestStack, uniqueSuffix } from "../support/harness";

jest.setTimeout(600_000);

/** Marks every secret value, so a scan finds any part of one that leaked. */
const S = "SECRET";

const long = (prefix: string, length: number) => `${S}-${prefix}-`.padEnd(length, "x");

/** Every input of each resource, each invalid, each value carrying the marker. */
const cases: Array<{ resource: string; inputs: Record<string, unknown> }> = [
  {
    resource: "alicloud.TerminalSession",
    inputs: {
      region: [`${S}-region`],
      instanceIds: [`${S}-i-1`, `${S}-i-2`],
      portNumber: `${S}-port`,
      commandLine: long("cmd", 513),
      targetServer: long("target", 129),
      username: [`${S}-user`],
      connectionType: `${S}-connection`,
      passwordName: long("password-name", 256),
      encryptionOptions: { enabled: `${S}-enabled`, mode: `${S}-mode`, kmsKeyId: [`${S}-kms`] },
      clientToken: `${S}-token-\u00e9`,
      adoptSessionId: [`${S}-adopt`],
    },
  },
  {
    resource: "alicloud.KillInstanceSessionTask",
    inputs: {
      instanceId: `${S}-db`,
      nodeId: `${S}-node`,
      clusterNodeIds: [`${S}-cluster-node`],
      dbUser: [`${S}-db-user`],
      dbUserPassword: [`${S}-password`],
      killAllSessions: `${S}-kill-all`,
      sessionIds: [`${S}-session-id`],
      ignoredUsers: [[`${S}-ignored`]],
      triggers: `${S}-triggers`,
      waitForCompletion: `${S}-wait`,
      timeoutSeconds: `${S}-timeout`,
      failOnKillFailure: `${S}-fail`,
    },
  },
  {
    resource: "alicloud.TerminalSessionRevocation",
    inputs: {
      region: [`${S}-region`],
      instanceIds: [`${S}-i-1`, `${S}-i-1`],
      sparePrincipalIds: [`${S}-principal`, `${S}-principal`],
      spareUsernames: [[`${S}-username`]],
      triggers: `${S}-triggers`,
    },
  },
  {
    resource: "aws.SsmSession",
    inputs: {
      region: [`${S}-region`],
      target: [`${S}-target`],
      documentName: `${S} document!`,
      reason: `${S}-reason\nsecond line`,
      // A map's keys are secret only when the whole map is: this name carries no marker.
      parameters: { ["n".repeat(260)]: [`${S}-value`], portNumber: `${S}-not-a-list` },
    },
  },
  {
    resource: "aws.SsmSessionRevocation",
    inputs: {
      region: [`${S}-region`],
      targets: [`${S}-target`, `${S}-target`],
      owner: [`${S}-owner`],
      spareOwners: [`${S}-spare`, `${S}-spare`],
      triggers: `${S}-triggers`,
    },
  },
];

/** A loopback port with nothing listening: any API call would fail at once, and none is expected. */
async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function stackFor(resource: string, inputs: Record<string, unknown>, wrap: "whole" | "leaves") {
  return TestStack.create({
    program: "secret-inputs",
    config: {
      "e2e:resource": resource,
      "e2e:wrap": wrap,
      "alicloud:region": "cn-hangzhou",
      "aws:region": "us-east-2",
      "sessions:localCloud": await closedPortUrl(),
    },
    secrets: {
      // Secret config too, so a scan finds only what the engine and the provider print.
      "e2e:inputs": JSON.stringify(inputs),
      "alicloud:accessKey": "LTAIe2esecretinputs",
      "alicloud:secretKey": "e2e-secret-inputs-key",
      "aws:accessKey": "AKIAE2ESECRETINPUTS",
      "aws:secretKey": "e2e-secret-inputs-aws-key",
    },
    stackName: `x${uniqueSuffix()}`,
  });
}

describe.each(cases)("$resource", ({ resource, inputs }) => {
  test.each(["whole", "leaves"] as const)(
    "every input a secret (%s) and invalid: preview names each field and prints no secret",
    async (wrap) => {
      const stack = await stackFor(resource, inputs, wrap);
      try {
        // What a terminal or CI log shows (`--json` carries the same diagnostics).
        const text = await stack.pulumi(["preview"], { allowFailure: true });
        expect(text.code).not.toBe(0);
        const output = `${text.stdout}\n${text.stderr}`;
        // Nothing of any value: not the marker, not a fragment of a long one.
        expect(output).not.toContain(S);
        expect(output).not.toContain("xxxxxxxx");
        // Every field is named by a failure of its own, its value redacted by the engine.
        const problems = text.stdout
          .split("\n")
          .map((line) => line.trim())
          .filter((line) => line.includes("has a problem"));
        for (const key of Object.keys(inputs)) {
          const shown = problems.map(
            (line) => new RegExp(`property ${key} value (.*) has a problem`).exec(line)?.[1],
          );
          expect(shown).toContainEqual(expect.stringContaining("[secret]"));
        }
        expect(output).not.toContain("{<nil>}");
      } finally {
        stack.cleanup();
      }
    },
  );
});

test("a plain (not secret) invalid nested value is shown once, by the engine, never as {<nil>}", async () => {
  const stack = await TestStack.create({
    program: "kill-sessions",
    config: {
      "drain:instanceId": "rm-e2eplainvalues",
      "drain:dbUser": "ops",
      "drain:release": "r1",
      "drain:killAllSessions": "false",
      "drain:sessionIds": JSON.stringify([0]),
      "sessions:localCloud": await closedPortUrl(),
      "alicloud:region": "cn-hangzhou",
    },
    secrets: {
      "drain:dbPassword": "e2e-plain-values-password",
      "alicloud:accessKey": "LTAIe2eplainvalues",
      "alicloud:secretKey": "e2e-plain-values-key",
    },
    stackName: `p${uniqueSuffix()}`,
  });
  try {
    const text = await stack.pulumi(["preview"], { allowFailure: true });
    expect(text.code).not.toBe(0);
    const problems = text.stdout.split("\n").filter((line) => line.includes("has a problem"));
    // The engine prints each failure under the resource and again in its summary.
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) {
      expect(line).toMatch(
        /property sessionIds value \{\[\{0\}\]\} has a problem: sessionIds\[0\]: must be at least 1 \(MySQL connection ids start at 1\)$/,
      );
    }
    expect(text.stdout).not.toContain("{<nil>}");
    expect(text.stdout).not.toContain("e2e-plain-values-password");
  } finally {
    stack.cleanup();
  }
});
