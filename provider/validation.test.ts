import { z } from "zod";
import {
  containsUnknown,
  dropNulls,
  isAbsent,
  isAscii,
  isKnown,
  pathCrossesUnknown,
  propertyPath,
  UNKNOWN,
  validate,
} from "./validation";

const schema = z
  .object({
    name: z.string().max(3, "name must be at most 3 characters (rule Name.TooLong)"),
    ports: z.array(z.number().int()).optional(),
    nested: z.object({ flag: z.boolean(), level: z.number().min(1, "nested.level must be >= 1") }).optional(),
  })
  .strict();

describe("unknown helpers", () => {
  test("isKnown / isAbsent", () => {
    expect(isKnown(UNKNOWN)).toBe(false);
    expect(isKnown(undefined)).toBe(false);
    expect(isKnown(null)).toBe(false);
    expect(isKnown(0)).toBe(true);
    expect(isAbsent(UNKNOWN)).toBe(false);
    expect(isAbsent(null)).toBe(true);
  });

  test("containsUnknown looks at every depth", () => {
    expect(containsUnknown({ a: [1, { b: UNKNOWN }] })).toBe(true);
    expect(containsUnknown({ a: [1, { b: "x" }] })).toBe(false);
  });

  test("pathCrossesUnknown stops at the first unknown on the way", () => {
    const value = { a: UNKNOWN, b: { c: [UNKNOWN, "x"] } };
    expect(pathCrossesUnknown(value, ["a", "deeper"])).toBe(true);
    expect(pathCrossesUnknown(value, ["b", "c", 0])).toBe(true);
    expect(pathCrossesUnknown(value, ["b", "c", 1])).toBe(false);
    expect(pathCrossesUnknown(UNKNOWN, [])).toBe(true);
  });

  test("propertyPath formats Pulumi property paths", () => {
    expect(propertyPath(["a", "b", 0, "c"])).toBe("a.b[0].c");
    expect(propertyPath([0])).toBe("[0]");
    expect(propertyPath([])).toBe("");
  });

  test("dropNulls removes null members recursively", () => {
    expect(dropNulls({ a: null, b: { c: null, d: 1 }, e: [{ f: null }] })).toEqual({ b: { d: 1 }, e: [{}] });
  });

  test("isAscii", () => {
    expect(isAscii("abc-123_~")).toBe(true);
    expect(isAscii("été")).toBe(false);
  });
});

describe("validate", () => {
  test("returns the parsed value when everything is known and valid", () => {
    expect(validate(schema, { name: "ab" })).toEqual({ failures: [], value: { name: "ab" } });
  });

  test("reports each issue with its property and a reason that names it", () => {
    const { failures, value } = validate(schema, {
      name: "abcd",
      ports: [1, 2.5],
      nested: { flag: "no", level: 0 },
    });
    expect(value).toBeUndefined();
    expect(failures).toEqual(
      expect.arrayContaining([
        { property: "name", reason: "name must be at most 3 characters (rule Name.TooLong)" },
        // Under the top-level input, which is where the engine looks the value up.
        { property: "ports", reason: expect.stringMatching(/^ports\[1\]: /) },
        { property: "nested", reason: expect.stringMatching(/^nested\.flag: /) },
        { property: "nested", reason: "nested.level must be >= 1" },
      ]),
    );
  });

  test("names unrecognized keys", () => {
    expect(validate(schema, { name: "a", extra: 1 }).failures).toEqual([
      { property: "extra", reason: "extra is not a known input" },
    ]);
  });

  test("accepts unknowns anywhere and gives no value", () => {
    const result = validate(schema, { name: UNKNOWN, ports: [UNKNOWN], nested: { flag: UNKNOWN, level: 2 } });
    expect(result).toEqual({ failures: [] });
    expect(validate(schema, { name: "a", nested: UNKNOWN })).toEqual({ failures: [] });
  });

  test("still rejects known-bad values next to unknowns", () => {
    const { failures } = validate(schema, { name: "toolong", ports: UNKNOWN });
    expect(failures.map((f) => f.property)).toEqual(["name"]);
  });

  test("runs cross-field rules even when a field failed, without duplicates", () => {
    const { failures } = validate(schema, { name: "toolong", ports: [1] }, (v, fail) => {
      if (Array.isArray(v.ports)) {
        fail("ports", "ports needs name to be short");
        fail("ports", "ports needs name to be short");
      }
    });
    expect(failures.map((f) => f.property)).toEqual(["name", "ports"]);
  });
});
