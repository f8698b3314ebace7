import { isSecret, reveal, sealKeys, secret, secretKeys } from "./secrets";

describe("secret envelopes", () => {
  test("reveal removes envelopes at any depth; secretKeys names the top-level keys holding one", () => {
    const props = { a: secret("x"), b: [1, secret(2)], c: { d: secret({ e: "f" }) }, g: "plain" };
    expect(reveal(props)).toEqual({ a: "x", b: [1, 2], c: { d: { e: "f" } }, g: "plain" });
    expect([...secretKeys(props)].sort()).toEqual(["a", "b", "c"]);
  });

  test("sealKeys wraps present keys once and leaves absent and null ones alone", () => {
    const sealed = sealKeys({ a: "x", b: secret("y"), n: null }, ["a", "b", "n", "missing"]);
    expect(isSecret(sealed.a) && sealed.a.value).toBe("x");
    expect(isSecret(sealed.b) && sealed.b.value).toBe("y");
    expect(sealed.n).toBeNull();
    expect(sealed).not.toHaveProperty("missing");
  });
});
