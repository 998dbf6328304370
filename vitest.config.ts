import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // CI sets CI=true, which turns picocolors on; tests compare plain text.
    env: { NO_COLOR: "1" },
  },
});
