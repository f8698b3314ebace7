/**
 * No well-known key and no guessable admin token: what a local cloud started without credentials
 * accepts, where a user reads it, and what `stateDir` keeps across restarts (files 0600 only).
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminClient } from "../admin/client";
import { startLocalCloud } from "../server";
import { acsError, callRpc, openApiClient } from "../testing/alibaba";
import { ADMIN_TOKEN_FILE, CREDENTIALS_FILE } from "./localSecrets";

const DESCRIBE = { RegionId: "cn-hangzhou" };
const mode = (file: string) => statSync(file).mode & 0o777;

describe("a local cloud started without credentials", () => {
  test("generates a random key, readable from a private file that goes away at stop", async () => {
    const first = await startLocalCloud({});
    const second = await startLocalCloud({});
    try {
      const file = first.credentialsFile!;
      expect(mode(file)).toBe(0o600);
      const key = JSON.parse(readFileSync(file, "utf8")) as { accessKeyId: string; accessKeySecret: string };
      expect(key.accessKeyId).toMatch(/^LTAI[A-Za-z0-9]{20}$/);
      expect(key.accessKeySecret).toMatch(/^[A-Za-z0-9]{30}$/);
      expect(first.config.credentials).toEqual([key]);
      expect(
        (await callRpc(openApiClient(first, key), "DescribeTerminalSessions", DESCRIBE)).statusCode,
      ).toBe(200);
      // Every start has its own key and token: nothing to learn from another one.
      expect(second.config.credentials[0].accessKeyId).not.toBe(key.accessKeyId);
      expect(second.adminToken).not.toBe(first.adminToken);
      const err = await acsError(callRpc(openApiClient(second, key), "DescribeTerminalSessions", DESCRIBE));
      expect(err.code).toBe("InvalidAccessKeyId.NotFound");
    } finally {
      await first.stop();
      await second.stop();
    }
    expect(existsSync(first.credentialsFile!)).toBe(false);
  });

  test("the fixed default key of earlier versions is not accepted", async () => {
    const cloud = await startLocalCloud({});
    try {
      const old = { accessKeyId: "LTAIlocalcloud0001", accessKeySecret: "local-cloud-secret" };
      const err = await acsError(callRpc(openApiClient(cloud, old), "DescribeTerminalSessions", DESCRIBE));
      expect(err.code).toBe("InvalidAccessKeyId.NotFound");
    } finally {
      await cloud.stop();
    }
  });

  test("configured credentials: no key is generated, no file written", async () => {
    const cloud = await startLocalCloud({
      credentials: [{ accessKeyId: "LTAImine", accessKeySecret: "mine" }],
    });
    try {
      expect(cloud.credentialsFile).toBeUndefined();
      expect(cloud.config.credentials.map((c) => c.accessKeyId)).toEqual(["LTAImine"]);
    } finally {
      await cloud.stop();
    }
  });
});

describe("stateDir", () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), "local-cloud-state-")), "state");
  });
  afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  test("keeps the admin token and the generated key across restarts, in 0600 files of a 0700 folder", async () => {
    const first = await startLocalCloud({ stateDir: dir });
    const token = first.adminToken;
    const key = first.config.credentials[0];
    expect(first.credentialsFile).toBe(join(dir, CREDENTIALS_FILE));
    await first.stop();
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, ADMIN_TOKEN_FILE))).toBe(0o600);
    expect(mode(join(dir, CREDENTIALS_FILE))).toBe(0o600);

    const again = await startLocalCloud({ stateDir: dir });
    try {
      expect(again.adminToken).toBe(token);
      expect(again.config.credentials).toEqual([key]);
      expect(await new AdminClient(again).faults()).toEqual([]);
      expect(
        (await callRpc(openApiClient(again, key), "DescribeTerminalSessions", DESCRIBE)).statusCode,
      ).toBe(200);
    } finally {
      await again.stop();
    }
  });

  test.each([ADMIN_TOKEN_FILE, CREDENTIALS_FILE])(
    "a %s other users may read is refused, naming the file and the fix",
    async (name) => {
      await (await startLocalCloud({ stateDir: dir })).stop();
      const file = join(dir, name);
      chmodSync(file, 0o644);
      await expect(startLocalCloud({ stateDir: dir })).rejects.toThrow(
        `${file} may be read by other users (mode 644): run chmod 600 ${file}`,
      );
    },
  );

  test("an admin-token file too short to be a token is refused", async () => {
    await (await startLocalCloud({ stateDir: dir })).stop();
    const file = join(dir, ADMIN_TOKEN_FILE);
    writeFileSync(file, "secret\n");
    await expect(startLocalCloud({ stateDir: dir })).rejects.toThrow(
      `${file} holds no usable token: remove it to get a new one.`,
    );
  });

  test("a credentials file that is not a key is refused", async () => {
    await (await startLocalCloud({ stateDir: dir })).stop();
    const file = join(dir, CREDENTIALS_FILE);
    rmSync(file);
    writeFileSync(file, "{}", { mode: 0o600 });
    await expect(startLocalCloud({ stateDir: dir })).rejects.toThrow(
      `${file} is not a key ({"accessKeyId","accessKeySecret"}): fix it or remove it.`,
    );
  });
});
