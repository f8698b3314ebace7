import { parseKillRequest, parseLenientArray, parseTaskQuery } from "./params";

describe("CreateKillInstanceSessionTask parameters", () => {
  const base = { InstanceId: "rm-1", DbUser: "ops", DbUserPassword: "pw", KillAllSessions: "true" };

  test("JSON arrays, also single-quoted as in the API reference's example", () => {
    expect(parseLenientArray(`["a","b"]`)).toEqual(["a", "b"]);
    expect(parseLenientArray(`['db_user1','db_user2']`)).toEqual(["db_user1", "db_user2"]);
    expect(parseLenientArray(`[10805639,10805623]`)).toEqual([10805639, 10805623]);
    expect(() => parseLenientArray(`db_user1`)).toThrow();
    expect(() => parseLenientArray(`{"a":1}`)).toThrow();
  });

  test("parses every documented parameter", () => {
    expect(
      parseKillRequest({
        ...base,
        NodeId: "pi-1",
        IgnoredUsers: `['app2']`,
        KillAllSessions: "false",
        SessionIds: `[3, "4", 3]`,
      }),
    ).toEqual({
      instanceId: "rm-1",
      nodeId: "pi-1",
      dbUser: "ops",
      dbUserPassword: "pw",
      ignoredUsers: ["app2"],
      killAllSessions: false,
      sessionIds: [3, 4],
    });
  });

  test("SessionIds does not take effect with KillAllSessions=true", () => {
    expect(parseKillRequest({ ...base, SessionIds: "[1,2]" }).sessionIds).toEqual([]);
  });

  test.each([
    ["no InstanceId", { InstanceId: undefined }, /InstanceId is required/],
    ["empty InstanceId", { InstanceId: "" }, /InstanceId is required/],
    ["no DbUser", { DbUser: undefined }, /DbUser is required/],
    ["no DbUserPassword", { DbUserPassword: undefined }, /DbUserPassword is required/],
    ["no KillAllSessions", { KillAllSessions: undefined }, /KillAllSessions must be true or false/],
    ["KillAllSessions=yes", { KillAllSessions: "yes" }, /KillAllSessions must be true or false/],
    ["IgnoredUsers not an array", { IgnoredUsers: "app2" }, /IgnoredUsers must be a JSON array/],
    ["IgnoredUsers of numbers", { IgnoredUsers: "[1]" }, /IgnoredUsers must hold non-empty account names/],
    ["no SessionIds", { KillAllSessions: "false" }, /SessionIds must list at least one session/],
    ["empty SessionIds", { KillAllSessions: "false", SessionIds: "[]" }, /SessionIds must list at least one/],
    [
      "negative id",
      { KillAllSessions: "false", SessionIds: "[-1]" },
      /SessionIds holds an invalid session id -1/,
    ],
    [
      "text id",
      { KillAllSessions: "false", SessionIds: `["x"]` },
      /SessionIds holds an invalid session id "x"/,
    ],
  ])("%s: HTTP 400 InvalidParams", (_label, over, message) => {
    try {
      parseKillRequest({ ...base, ...over });
      throw new Error("expected InvalidParams");
    } catch (e) {
      expect(e).toMatchObject({ httpStatus: 400, code: "InvalidParams" });
      expect((e as Error).message).toMatch(message);
    }
  });

  test("GetKillInstanceSessionTaskResult parameters", () => {
    expect(parseTaskQuery({ InstanceId: "pc-1", NodeId: "pi-1", TaskId: "t" })).toEqual({
      instanceId: "pc-1",
      nodeId: "pi-1",
      taskId: "t",
    });
    expect(() => parseTaskQuery({ InstanceId: "pc-1" })).toThrow(/TaskId is required/);
  });
});
