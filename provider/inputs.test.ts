import { changedInputKeys, pickInputs } from "./inputs";
import { UNKNOWN } from "./validation";

const KEYS = ["a", "b", "c"];

describe("pickInputs", () => {
  test("keeps only the input keys, without nulls at any depth", () => {
    expect(
      pickInputs(KEYS, { a: 1, b: null, c: { x: null, y: 2 }, out: "computed", __provider: "p" }),
    ).toEqual({
      a: 1,
      c: { y: 2 },
    });
  });
});

describe("changedInputKeys", () => {
  test("compares inputs only, by value, ignoring key order and nulls", () => {
    const olds = { a: 1, c: { x: 1, y: 2 }, computed: "z" };
    expect(changedInputKeys(KEYS, olds, { a: 1, b: null, c: { y: 2, x: 1 } })).toEqual([]);
    expect(changedInputKeys(KEYS, olds, { a: 2, c: { x: 1, y: 2 } })).toEqual(["a"]);
    expect(changedInputKeys(KEYS, olds, { a: 1 })).toEqual(["c"]);
    expect(changedInputKeys(KEYS, { a: [1, 2] }, { a: [2, 1] })).toEqual(["a"]);
  });

  test("an unknown value at any depth counts as a change", () => {
    expect(changedInputKeys(KEYS, { a: "x" }, { a: UNKNOWN })).toEqual(["a"]);
    expect(changedInputKeys(KEYS, { b: ["x"] }, { b: [UNKNOWN] })).toEqual(["b"]);
  });
});
