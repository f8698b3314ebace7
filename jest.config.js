/** @type {import('jest').Config} */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];

module.exports = {
  // Jest reads the timeout globally, not per project: engine runs need minutes.
  testTimeout: 600000,
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: [
        "<rootDir>/{provider,sdk,emulator,client,cli,plugin,scripts}/**/*.test.ts",
        "<rootDir>/test/unit/**/*.test.ts",
      ],
    },
    {
      displayName: "e2e",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/test/e2e/globalSetup.ts",
    },
    {
      // Many sessions, faults, interruptions and limits under the real engine (same setup as e2e).
      displayName: "reliability",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/reliability/**/*.test.ts"],
      globalSetup: "<rootDir>/test/e2e/globalSetup.ts",
    },
    {
      // Hostile peers (fast-check): bounded in inputs and time, reproducible from FUZZ_SEED.
      displayName: "fuzz",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/fuzz/**/*.test.ts"],
    },
  ],
};
