import * as path from "node:path";

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "..", "..");
/** Scratch space for engine runs; inside the repo so programs resolve the repo's node_modules. */
export const workRoot = path.join(repoRoot, ".work", "e2e");
/** Test programs (each a folder with Pulumi.yaml and its own package.json). */
export const programsDir = path.join(__dirname, "programs");
