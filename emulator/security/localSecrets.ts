/**
 * The secrets a local cloud starts with: the admin token, and an access key when the config names
 * none (a fixed, well-known default key would let anyone who read the README drive the cloud).
 * With `stateDir` both persist there; without, the token lives in memory and the generated key in
 * a private temporary folder removed at stop, so a user can read it from the file the start line names.
 */
import { randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentialSchema, type Credential } from "../config";
import { newAdminToken } from "./adminToken";
import { openStateDir, readOrCreatePrivateFile, StateDirError } from "./stateDir";

/** File names inside the state dir. */
export const ADMIN_TOKEN_FILE = "admin-token";
export const CREDENTIALS_FILE = "credentials.json";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomAlnum(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** A fresh key pair shaped like Alibaba Cloud's (`LTAI` + 20, secret of 30); SigV4 takes it as well. */
export function generateKey(): Credential {
  return { accessKeyId: `LTAI${randomAlnum(20)}`, accessKeySecret: randomAlnum(30) };
}

function keyFileText(key: Credential): string {
  return `${JSON.stringify(key, null, 2)}\n`;
}

function readKeyFile(file: string, text: string): Credential {
  try {
    return credentialSchema.parse(JSON.parse(text));
  } catch {
    throw new StateDirError(`${file} is not a key ({"accessKeyId","accessKeySecret"}): fix it or remove it.`);
  }
}

export interface LocalSecrets {
  adminToken: string;
  credentials: Credential[];
  /** Where the generated key can be read; undefined when the config named the credentials. */
  credentialsFile?: string;
  /** Removes the temporary folder of a generated key (nothing to do with a state dir). */
  cleanup(): void;
}

export function loadLocalSecrets(
  stateDir: string | undefined,
  configured: Credential[] | undefined,
): LocalSecrets {
  if (stateDir !== undefined) {
    openStateDir(stateDir);
    const tokenFile = join(stateDir, ADMIN_TOKEN_FILE);
    const adminToken = readOrCreatePrivateFile(tokenFile, newAdminToken).trim();
    // A short token could be guessed; an empty one would lock the admin API.
    if (adminToken.length < 32)
      throw new StateDirError(`${tokenFile} holds no usable token: remove it to get a new one.`);
    if (configured) return { adminToken, credentials: configured, cleanup: () => undefined };
    const credentialsFile = join(stateDir, CREDENTIALS_FILE);
    const key = readKeyFile(
      credentialsFile,
      readOrCreatePrivateFile(credentialsFile, () => keyFileText(generateKey())),
    );
    return { adminToken, credentials: [key], credentialsFile, cleanup: () => undefined };
  }
  const adminToken = newAdminToken();
  if (configured) return { adminToken, credentials: configured, cleanup: () => undefined };
  // mkdtemp makes the folder 0700.
  const dir = mkdtempSync(join(tmpdir(), "pulumi-sessions-local-"));
  const credentialsFile = join(dir, CREDENTIALS_FILE);
  const key = generateKey();
  writeFileSync(credentialsFile, keyFileText(key), { mode: 0o600, flag: "wx" });
  return {
    adminToken,
    credentials: [key],
    credentialsFile,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
