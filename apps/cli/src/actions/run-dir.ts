import { readFileSync } from "node:fs";
import { type ClusterSpec, DEFAULT_RUN_DIR, RunDir } from "@vmrng/cluster";
import type { RunDirOptions } from "../commands/common.js";

export function runDirFrom(opts: RunDirOptions): RunDir {
  return new RunDir(opts.runDir ?? process.env.VMRNG_RUN_DIR ?? DEFAULT_RUN_DIR);
}

/** The resolved cluster the CLI handed the host (cluster.json), if readable. */
export function readClusterSpec(runDir: RunDir): ClusterSpec | undefined {
  try {
    return JSON.parse(readFileSync(runDir.clusterFile, "utf8")) as ClusterSpec;
  } catch {
    return undefined;
  }
}
