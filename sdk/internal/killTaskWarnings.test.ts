import { UNKNOWN } from "../../provider/validation";
import { killTaskWarnings } from "./killTaskWarnings";

describe("killTaskWarnings", () => {
  test("session ids with killAllSessions are ignored, and the warning says so and what to do", () => {
    const [warning, ...rest] = killTaskWarnings({ killAllSessions: true, sessionIds: [1] });
    expect(rest).toEqual([]);
    expect(warning).toContain("sessionIds is ignored because killAllSessions is true");
    expect(warning).toContain("set killAllSessions: false");
  });

  test.each([
    [{ killAllSessions: true }],
    [{ killAllSessions: true, sessionIds: [] }],
    [{ killAllSessions: false, sessionIds: [1] }],
    [{ killAllSessions: UNKNOWN, sessionIds: [1] }],
  ])("none for %j", (inputs) => {
    expect(killTaskWarnings(inputs)).toEqual([]);
  });
});
