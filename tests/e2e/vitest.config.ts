import { defineConfig } from "vitest/config";

// One Crm for the whole run (harness/global-setup.ts); files run one after another because they share it and its
// demo agents' availability, and because CI has two cores.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["./harness/global-setup.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 90_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ["default", ["junit", { outputFile: "results/junit.xml" }]],
  },
});
