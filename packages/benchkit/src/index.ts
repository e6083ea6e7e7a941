export { measureOpsPerSec, percentile, summarize } from "./measure.js";
export { type BenchRow, formatTable, ratioRow, writeSuite } from "./report.js";
