// Prints vitest's totals as the plain closing line CI reads: "vitest: N passed, N failed".
import { readFileSync } from "node:fs";

const r = JSON.parse(readFileSync(".vitest-results.json", "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
console.log(
  `vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
if (r.numTotalTests === 0 || r.numFailedTests > 0) process.exit(1);
