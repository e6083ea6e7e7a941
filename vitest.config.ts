import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// One config for the whole tree. Tests import workspace packages from source (`@vmrng/x` ->
// packages/x/src/index.ts) so a unit test never needs a build; integration tests that spawn
// real processes run the built `dist/` of apps, which `pnpm test` builds first.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@vmrng\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      {
        find: /^@vmrng\/([a-z0-9-]+)\/([a-z0-9-]+)$/,
        replacement: `${root}packages/$1/src/$2/index.ts`,
      },
    ],
  },
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "apps/*/test/**/*.test.ts",
      "tools/test/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
  },
});
