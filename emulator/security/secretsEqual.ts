import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares a secret a peer sent (a session token, a security token, a signature) with the one
 * expected, in time that does not depend on where they first differ. Both sides are hashed first
 * so that inputs of any length compare in constant time and a length mismatch reveals nothing.
 */
export function secretsEqual(given: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function digest(value: string | Buffer): Buffer {
  return createHash("sha256").update(value).digest();
}
