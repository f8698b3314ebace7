import * as pulumi from "@pulumi/pulumi";
import {
  assertCredentialsAreSecret,
  CREDENTIAL_CONFIG_KEYS,
  plaintextCredentialKeys,
  plaintextCredentialsMessage,
} from "./credentialConfig";

/** A config as the SDK sees it: values, and which keys were set with --secret. */
function lookup(values: Record<string, string>, secret: string[]) {
  return {
    getConfig: (key: string) => values[key],
    isConfigSecret: (key: string) => secret.includes(key),
  };
}

test("only credential keys that are set and not secret are reported", () => {
  const config = lookup(
    { "alicloud:accessKey": "LTAI1", "alicloud:secretKey": "s", "aws:secretKey": "t", "aws:token": "u" },
    ["aws:secretKey"],
  );
  expect(plaintextCredentialKeys(config)).toEqual(["alicloud:secretKey", "aws:token"]);
  expect(plaintextCredentialKeys(lookup({}, []))).toEqual([]);
  expect(
    plaintextCredentialKeys(lookup({ "alicloud:securityToken": "x" }, ["alicloud:securityToken"])),
  ).toEqual([]);
});

test("the message names each key and the command that makes it a secret in place, never the value", () => {
  const message = plaintextCredentialsMessage(["alicloud:secretKey", "aws:token"], "dev");
  expect(message).toBe(
    "alicloud:secretKey, aws:token are set in plain text, and the engine would store them unencrypted in state " +
      "(as inputs of the default pulumi-nodejs provider). Make them secrets: " +
      'pulumi config set --secret --stack dev alicloud:secretKey "$(pulumi config get --stack dev alicloud:secretKey)" && ' +
      'pulumi config set --secret --stack dev aws:token "$(pulumi config get --stack dev aws:token)"',
  );
});

test("assertCredentialsAreSecret throws a RunError (printed without a stack) for plain credentials", () => {
  expect(() => assertCredentialsAreSecret(lookup({ "aws:secretKey": "plain" }, []))).toThrow(pulumi.RunError);
  expect(() => assertCredentialsAreSecret(lookup({ "aws:secretKey": "s" }, ["aws:secretKey"]))).not.toThrow();
});

test("the SDK's own config lookup knows secret keys (the internal helper this relies on exists)", () => {
  expect(CREDENTIAL_CONFIG_KEYS).toContain("alicloud:secretKey");
  pulumi.runtime.setAllConfig({ "alicloud:secretKey": "x", "aws:token": "y" }, ["alicloud:secretKey"]);
  try {
    expect(plaintextCredentialKeys()).toEqual(["aws:token"]);
  } finally {
    pulumi.runtime.setAllConfig({}, []);
  }
});
