import { topLevelProperty, UNKNOWN } from "../../validation";
import { createTerminalSessionProvider } from "./lifecycle";

const escape = (text: string) => text.replace(/[.[\]]/g, "\\$&");

/** A provider whose stack config sets the region (unless a test says otherwise). */
async function provider(config: Record<string, string> = { "alicloud:region": "cn-hangzhou" }) {
  const p = createTerminalSessionProvider({
    env: {},
    client: () => {
      throw new Error("check must not call the cloud");
    },
  });
  await p.configure!({ config: { get: (k: string) => config[k], require: (k: string) => config[k] } });
  return p;
}

const valid = { instanceIds: ["i-bp1"] };
const long = (n: number) => "x".repeat(n);

/** [name, inputs, property, text in the reason naming the rule]. */
const invalid: Array<[string, Record<string, unknown>, string, string]> = [
  ["instanceIds missing", {}, "instanceIds", "MissingParameter.InstanceId"],
  ["instanceIds empty", { instanceIds: [] }, "instanceIds", "MissingParameter.InstanceId"],
  ["instanceIds not a list", { instanceIds: "i-bp1" }, "instanceIds", "must be a list"],
  ["instanceIds with an empty id", { instanceIds: [""] }, "instanceIds[0]", "must not be empty"],
  ["two instances", { instanceIds: ["i-1", "i-2"] }, "instanceIds", "InstanceIds.ExceedLimit"],
  [
    "two instances with targetServer",
    { instanceIds: ["i-1", "i-2"], targetServer: "10.0.0.1", portNumber: 22 },
    "instanceIds",
    "InvalidInstanceIds.CountLimitExceeded",
  ],
  [
    "two instances with commandLine",
    { instanceIds: ["i-1", "i-2"], commandLine: "ls" },
    "instanceIds",
    "InvalidInstanceIds.CountLimitExceeded",
  ],
  ["port 0", { ...valid, portNumber: 0 }, "portNumber", "PortNumber.Invalid"],
  ["port 65536", { ...valid, portNumber: 65536 }, "portNumber", "PortNumber.Invalid"],
  ["port 22.5", { ...valid, portNumber: 22.5 }, "portNumber", "PortNumber.Invalid"],
  ["port as text", { ...valid, portNumber: "22" }, "portNumber", "must be a number"],
  [
    "commandLine over 512",
    { ...valid, commandLine: long(513) },
    "commandLine",
    "InvalidCommandLine.LengthLimitExceeded",
  ],
  ["commandLine empty", { ...valid, commandLine: "" }, "commandLine", "must not be empty"],
  [
    "commandLine with portNumber",
    { ...valid, commandLine: "ls", portNumber: 22 },
    "commandLine",
    "InvalidCommandLine.Conflict",
  ],
  [
    "commandLine with targetServer",
    { ...valid, commandLine: "ls", targetServer: "10.0.0.1", portNumber: 22 },
    "commandLine",
    "InvalidCommandLine.Conflict",
  ],
  [
    "targetServer over 128",
    { ...valid, targetServer: long(129), portNumber: 22 },
    "targetServer",
    "InvalidTargetServer.LengthLimitExceeded",
  ],
  [
    "targetServer without portNumber",
    { ...valid, targetServer: "10.0.0.1" },
    "portNumber",
    "InvalidTargetServer.MissingPortNumber",
  ],
  [
    "connectionType unknown value",
    { ...valid, connectionType: "Public" },
    "connectionType",
    "InvalidParameter.ConnectionType",
  ],
  [
    "passwordName over 255",
    { ...valid, username: "admin", passwordName: long(256) },
    "passwordName",
    "InvalidPasswordName.LengthLimitExceeded",
  ],
  [
    "passwordName without username",
    { ...valid, passwordName: "pw" },
    "username",
    "PasswordName needs Username",
  ],
  ["username empty", { ...valid, username: "" }, "username", "must not be empty"],
  ["clientToken over 64", { ...valid, clientToken: long(65) }, "clientToken", "InvalidClientToken.Malformed"],
  [
    "clientToken not ASCII",
    { ...valid, clientToken: "jeton-été" },
    "clientToken",
    "InvalidClientToken.Malformed",
  ],
  ["clientToken empty", { ...valid, clientToken: "" }, "clientToken", "must not be empty"],
  [
    "mode without enabled",
    { ...valid, encryptionOptions: { mode: "Auto" } },
    "encryptionOptions.mode",
    "InvalidEncryptionOptionsMode.EncryptionDisabled",
  ],
  [
    "mode with enabled false",
    { ...valid, encryptionOptions: { enabled: false, mode: "Auto" } },
    "encryptionOptions.mode",
    "InvalidEncryptionOptionsMode.EncryptionDisabled",
  ],
  [
    "mode not Auto or Kms",
    { ...valid, encryptionOptions: { enabled: true, mode: "Strong" } },
    "encryptionOptions.mode",
    "InvalidParameter.EncryptionOptionsMode",
  ],
  [
    "mode Kms without key",
    { ...valid, encryptionOptions: { enabled: true, mode: "Kms" } },
    "encryptionOptions.kmsKeyId",
    "MissingParameter.EncryptionOptionsKMSKeyId",
  ],
  [
    "key without mode (Auto by default)",
    { ...valid, encryptionOptions: { enabled: true, kmsKeyId: "key-1" } },
    "encryptionOptions.kmsKeyId",
    "InvalidParameter.EncryptionOptionsKMSKeyId",
  ],
  [
    "key with mode Auto",
    { ...valid, encryptionOptions: { enabled: true, mode: "Auto", kmsKeyId: "key-1" } },
    "encryptionOptions.kmsKeyId",
    "InvalidParameter.EncryptionOptionsKMSKeyId",
  ],
  [
    "key with encryption disabled",
    { ...valid, encryptionOptions: { enabled: false, kmsKeyId: "key-1" } },
    "encryptionOptions.kmsKeyId",
    "InvalidParameter.EncryptionOptionsKMSKeyId",
  ],
  [
    "key empty",
    { ...valid, encryptionOptions: { enabled: true, mode: "Kms", kmsKeyId: "" } },
    "encryptionOptions.kmsKeyId",
    "must not be empty",
  ],
  [
    "encryption with port forwarding",
    { ...valid, portNumber: 22, encryptionOptions: { enabled: true } },
    "encryptionOptions.enabled",
    "InvalidEncryptionOptions.Conflict",
  ],
  [
    "encryption with targetServer",
    { ...valid, targetServer: "10.0.0.1", portNumber: 22, encryptionOptions: { enabled: true } },
    "encryptionOptions.enabled",
    "InvalidEncryptionOptions.Conflict",
  ],
  [
    "enabled not a boolean",
    { ...valid, encryptionOptions: { enabled: "yes" } },
    "encryptionOptions.enabled",
    "true or false",
  ],
  [
    "unknown encryption field",
    { ...valid, encryptionOptions: { enabled: true, keyId: "k" } },
    "encryptionOptions.keyId",
    "not a known input",
  ],
  ["unknown input", { ...valid, instanceId: "i-1" }, "instanceId", "not a known input"],
  ["region empty", { ...valid, region: "" }, "region", "must not be empty"],
  ["adoptSessionId empty", { ...valid, adoptSessionId: "" }, "adoptSessionId", "must not be empty"],
];

describe("TerminalSession check rejects every documented invalid input", () => {
  test.each(invalid)("%s", async (_name, inputs, property, rule) => {
    const p = await provider();
    const { failures } = await p.check!({}, inputs);
    // Reported under the top-level input (the engine shows that input's value), the path first.
    const failure = failures?.find(
      (f) => f.property === topLevelProperty(property) && f.reason.includes(rule),
    );
    expect(failure).toBeDefined();
    // The reason names the field so it stands alone in the engine's output.
    expect(failure!.reason.startsWith(property.replace(/\[\d+\]$/, ""))).toBe(true);
  });

  test("region is required when neither the input nor the stack sets it", async () => {
    const p = await provider({});
    const { failures } = await p.check!({}, valid);
    expect(failures).toEqual([
      expect.objectContaining({
        property: "region",
        reason: expect.stringContaining("MissingParameter.RegionId"),
      }),
    ]);
  });

  test("several problems are all reported", async () => {
    const p = await provider();
    const { failures } = await p.check!({}, { instanceIds: [], portNumber: 0, commandLine: "ls" });
    expect(failures!.map((f) => f.property).sort()).toEqual(["commandLine", "instanceIds", "portNumber"]);
  });
});

describe("TerminalSession check accepts valid inputs", () => {
  const ok: Array<[string, Record<string, unknown>]> = [
    ["a shell", valid],
    ["port forwarding", { ...valid, portNumber: 22 }],
    ["through a target server", { ...valid, targetServer: "10.0.0.1", portNumber: 3306 }],
    ["a command", { ...valid, commandLine: long(512) }],
    [
      "every optional field",
      { ...valid, username: "admin", passwordName: long(255), connectionType: "Intranet" },
    ],
    ["Kms encryption", { ...valid, encryptionOptions: { enabled: true, mode: "Kms", kmsKeyId: "key-1" } }],
    ["Auto encryption", { ...valid, encryptionOptions: { enabled: true, mode: "Auto" } }],
    ["encryption off", { ...valid, portNumber: 22, encryptionOptions: { enabled: false } }],
    ["a 64-char ASCII token", { ...valid, clientToken: long(64) }],
    ["nulls for unset inputs", { ...valid, portNumber: null, username: null }],
  ];
  test.each(ok)("%s", async (_name, inputs) => {
    const p = await provider();
    const { failures, inputs: checked } = await p.check!({}, inputs);
    expect(failures).toEqual([]);
    expect(checked!.region).toBe("cn-hangzhou");
  });
});

describe("TerminalSession check during preview", () => {
  const unknowns: Array<[string, Record<string, unknown>]> = [
    ["instanceIds unknown", { instanceIds: UNKNOWN }],
    ["one instance id unknown", { instanceIds: [UNKNOWN] }],
    ["region unknown", { ...valid, region: UNKNOWN }],
    ["portNumber unknown", { ...valid, portNumber: UNKNOWN }],
    ["targetServer unknown, port unknown", { ...valid, targetServer: UNKNOWN, portNumber: UNKNOWN }],
    ["targetServer unknown without port", { ...valid, targetServer: UNKNOWN }],
    ["commandLine unknown with port", { ...valid, commandLine: UNKNOWN, portNumber: 22 }],
    ["connectionType unknown", { ...valid, connectionType: UNKNOWN }],
    ["clientToken unknown", { ...valid, clientToken: UNKNOWN }],
    ["encryptionOptions unknown", { ...valid, portNumber: 22, encryptionOptions: UNKNOWN }],
    ["enabled unknown with mode", { ...valid, encryptionOptions: { enabled: UNKNOWN, mode: "Auto" } }],
    [
      "mode unknown with key",
      { ...valid, encryptionOptions: { enabled: true, mode: UNKNOWN, kmsKeyId: "k" } },
    ],
    ["passwordName with unknown username", { ...valid, passwordName: "pw", username: UNKNOWN }],
    ["adoptSessionId unknown", { ...valid, adoptSessionId: UNKNOWN }],
  ];
  test.each(unknowns)("accepts %s", async (_name, inputs) => {
    const p = await provider();
    const { failures } = await p.check!({}, inputs);
    expect(failures).toEqual([]);
  });

  const knownBad: Array<[string, Record<string, unknown>, string, string]> = [
    [
      "a long command next to an unknown port",
      { ...valid, portNumber: UNKNOWN, commandLine: long(600) },
      "commandLine",
      "InvalidCommandLine.LengthLimitExceeded",
    ],
    [
      "two instances, one unknown, with targetServer",
      { instanceIds: [UNKNOWN, "i-2"], targetServer: "10.0.0.1", portNumber: 22 },
      "instanceIds",
      "InvalidInstanceIds.CountLimitExceeded",
    ],
    [
      "a command with a port and an unknown target",
      { ...valid, commandLine: "ls", portNumber: 22, targetServer: UNKNOWN },
      "commandLine",
      "InvalidCommandLine.Conflict",
    ],
    [
      "a bad port with an unknown instance",
      { instanceIds: UNKNOWN, portNumber: 70000 },
      "portNumber",
      "PortNumber.Invalid",
    ],
    [
      "Kms without key, enabled unknown",
      { ...valid, encryptionOptions: { enabled: UNKNOWN, mode: "Kms" } },
      "encryptionOptions.kmsKeyId",
      "MissingParameter.EncryptionOptionsKMSKeyId",
    ],
  ];
  test.each(knownBad)("still rejects %s", async (_name, inputs, property, rule) => {
    const p = await provider();
    const { failures } = await p.check!({}, inputs);
    expect(failures).toEqual([
      {
        property: topLevelProperty(property),
        reason: expect.stringMatching(new RegExp(`^${escape(property)}.*${rule}`)),
      },
    ]);
  });

  test("the default client token stays unknown while inputs are unknown", async () => {
    const p = await provider();
    const { inputs } = await p.check!({}, { instanceIds: [UNKNOWN], __urn: "urn:pulumi:s::p::t::n" });
    expect(inputs!.clientToken).toBe(UNKNOWN);
  });
});

describe("TerminalSession check defaults", () => {
  const urn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/alicloud:TerminalSession::shell";

  test("fills region from stack config and never overrides the input", async () => {
    const p = await provider({ "alicloud:region": "cn-beijing" });
    expect((await p.check!({}, valid)).inputs!.region).toBe("cn-beijing");
    expect((await p.check!({}, { ...valid, region: "cn-shanghai" })).inputs!.region).toBe("cn-shanghai");
  });

  test("falls back to ALICLOUD_REGION", async () => {
    const p = createTerminalSessionProvider({ env: { ALICLOUD_REGION: "eu-central-1" } });
    await p.configure!({ config: { get: () => undefined, require: () => "" } });
    expect((await p.check!({}, valid)).inputs!.region).toBe("eu-central-1");
  });

  test("derives an ASCII client token of at most 64 characters from the URN and inputs", async () => {
    const p = await provider();
    const a = (await p.check!({}, { ...valid, __urn: urn })).inputs!.clientToken as string;
    expect(a).toMatch(/^pulumi-[0-9a-f]{40}$/);
    expect(a.length).toBeLessThanOrEqual(64);
    // Stable: preview and up (and a repeated up) derive the same token.
    expect((await p.check!({}, { ...valid, __urn: urn })).inputs!.clientToken).toBe(a);
    // Another resource, or other inputs, get another token.
    expect((await p.check!({}, { ...valid, __urn: `${urn}2` })).inputs!.clientToken).not.toBe(a);
    expect((await p.check!({}, { ...valid, portNumber: 22, __urn: urn })).inputs!.clientToken).not.toBe(a);
  });

  test("keeps the stored token while the other inputs are unchanged", async () => {
    const p = await provider();
    const olds = { ...valid, region: "cn-hangzhou", clientToken: "pulumi-old" };
    expect((await p.check!(olds, { ...valid, __urn: urn })).inputs!.clientToken).toBe("pulumi-old");
    expect((await p.check!(olds, { ...valid, portNumber: 22, __urn: urn })).inputs!.clientToken).not.toBe(
      "pulumi-old",
    );
  });

  test("keeps a token the user set, and drops internal properties", async () => {
    const p = await provider();
    const { inputs } = await p.check!({}, { ...valid, clientToken: "mine", __urn: urn, __provider: "code" });
    expect(inputs).toEqual({ instanceIds: ["i-bp1"], region: "cn-hangzhou", clientToken: "mine" });
  });
});
