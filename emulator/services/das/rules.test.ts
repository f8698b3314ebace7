import type { ProcessRow } from "./model";
import { hostWithoutPort, spareReason } from "./rules";

const row = (over: Partial<ProcessRow>): ProcessRow => ({
  id: 1,
  user: "app",
  host: "127.0.0.1:5000",
  db: null,
  command: "Sleep",
  time: 0,
  state: null,
  info: null,
  ...over,
});

describe("sparing rules", () => {
  const rules = { ignoredUsers: ["app2"], internalUsers: ["aliyun_root", "root@localhost"] };

  test.each([
    [{ user: "app1" }, undefined],
    [{ user: "app2" }, "SESSION_IGNORED_USER"],
    [{ user: "aliyun_root" }, "SESSION_INTERNAL_USER_OR_COMMAND"],
    [{ user: "root", host: "localhost" }, "SESSION_INTERNAL_USER_OR_COMMAND"],
    [{ user: "root", host: "127.0.0.1:4000" }, undefined],
    [{ user: "system user", host: "" }, "SESSION_INTERNAL_USER_OR_COMMAND"],
    [{ user: "event_scheduler", command: "Daemon" }, "SESSION_INTERNAL_USER_OR_COMMAND"],
    [{ user: "repl", command: "Binlog Dump" }, "SESSION_INTERNAL_USER_OR_COMMAND"],
    [{ user: "repl", command: "Binlog Dump GTID" }, "SESSION_INTERNAL_USER_OR_COMMAND"],
    // An O&M session stays one even when the caller also ignores the account.
    [{ user: "app2", command: "Binlog Dump" }, "SESSION_INTERNAL_USER_OR_COMMAND"],
    // Account names compare exactly.
    [{ user: "APP2" }, undefined],
  ])("%j -> %s", (over, expected) => {
    expect(spareReason(row(over), rules)).toBe(expected);
  });

  test("host without port", () => {
    expect(hostWithoutPort("127.0.0.1:51234")).toBe("127.0.0.1");
    expect(hostWithoutPort("[::1]:51234")).toBe("::1");
    expect(hostWithoutPort("localhost")).toBe("localhost");
  });
});
