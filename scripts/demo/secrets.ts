/**
 * The demo's keys and passwords, made afresh at every run: the local cloud's access keys (which
 * the stack's config then holds as secrets) and the demo database's accounts. They live in one
 * file readable by its owner alone, inside the run's private folder, and are never printed nor
 * put on a command line: whoever finds the local cloud's port on a shared machine has no key.
 */
import { randomBytes, randomInt } from "node:crypto";
import * as fs from "node:fs";
import { z } from "zod";

const keySchema = z.object({ accessKeyId: z.string().min(1), accessKeySecret: z.string().min(16) });

const demoSecretsSchema = z.object({
  alicloud: keySchema,
  aws: keySchema,
  db: z.object({
    opsPassword: z.string().min(16),
    appPassword: z.string().min(16),
    ignoredPassword: z.string().min(16),
  }),
});

export type DemoSecrets = z.infer<typeof demoSecretsSchema>;

const secret = () => randomBytes(24).toString("base64url");

/** `prefix` and then characters of `alphabet` up to `length`, as the clouds' key ids look. */
function keyId(prefix: string, alphabet: string, length: number): string {
  let id = prefix;
  while (id.length < length) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/** Fresh keys and passwords. */
export function generateDemoSecrets(): DemoSecrets {
  return {
    alicloud: {
      accessKeyId: keyId("LTAI", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24),
      accessKeySecret: secret(),
    },
    aws: { accessKeyId: keyId("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 20), accessKeySecret: secret() },
    db: { opsPassword: secret(), appPassword: secret(), ignoredPassword: secret() },
  };
}

/** Writes fresh secrets to `file` (its owner alone reads it; an existing file is an error). */
export function writeDemoSecrets(file: string): void {
  fs.writeFileSync(file, JSON.stringify(generateDemoSecrets()), { mode: 0o600, flag: "wx" });
}

export function readDemoSecrets(file: string): DemoSecrets {
  return demoSecretsSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
}
