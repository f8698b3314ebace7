import { scanForSecrets, SECRET_SIG } from "../support/secretsScan";

const secret = (ciphertext: string) => ({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext });

function state(outputs: Record<string, unknown>): string {
  return JSON.stringify({ deployment: { resources: [{ urn: "urn:x", outputs }] } }, null, 4);
}

describe("scanForSecrets", () => {
  test("secret-wrapped sensitive fields and unrelated values pass", () => {
    const text = state({
      webSocketUrl: secret("v1:abc"),
      securityToken: secret("v1:def"),
      passwordName: "ops-password",
      sessionId: "s-hz0123456789",
    });
    expect(scanForSecrets({ export: text }, ["the-access-key-secret"])).toEqual([]);
  });

  test("finds a known value, also as Go's JSON writer spells it", () => {
    const url = "ws://127.0.0.1:1/session/s-1?token=abc&x=<y>";
    const goJson = JSON.stringify({ note: url })
      .replace(/&/g, "\\u0026")
      .replace(/</g, "\\u003c")
      .replace(/>/g, "\\u003e")
      .replace("ws://", "");
    const findings = scanForSecrets({ raw: goJson }, [url.replace("ws://", "")]);
    expect(findings).toEqual([
      { document: "raw", what: expect.stringMatching(/^known secret 127\.0\.\.\.\. /) },
    ]);
  });

  test("finds stream URLs by shape and plaintext sensitive fields by name", () => {
    const findings = scanForSecrets(
      {
        export: state({
          webSocketUrl: "ws://127.0.0.1:9/session/s-1?token=t",
          securityToken: "4f1c-uuid-token",
        }),
      },
      [],
    );
    expect(findings.map((f) => f.what)).toEqual([
      expect.stringMatching(/^stream URL ws:\/\/1\.\.\./),
      "plaintext field $.deployment.resources[0].outputs.webSocketUrl",
      "plaintext field $.deployment.resources[0].outputs.securityToken",
    ]);
  });

  test("never prints the secret itself", () => {
    const value = "super-secret-value-1234567890";
    const [finding] = scanForSecrets({ export: JSON.stringify({ a: value }) }, [value]);
    expect(finding.what).not.toContain(value);
  });

  test("a document that is not JSON is reported", () => {
    expect(scanForSecrets({ export: "not json" }, [])).toEqual([
      { document: "export", what: "not JSON: fields could not be checked" },
    ]);
  });
});
