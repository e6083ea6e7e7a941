import { readFileSync } from "node:fs";
import { type ClusterSpec, DEFAULT_RUN_DIR, RunDir } from "@vmrng/cluster";
import type { Command } from "commander";

export interface RunDirOptions {
  runDir?: string;
}

/** Adds `--run-dir DIR` (default $VMRNG_RUN_DIR, else .vmrng) to a command. */
export function withRunDir(cmd: Command): Command {
  return cmd.option(
    "--run-dir <dir>",
    "run directory of the cluster: state, token, logs (default: $VMRNG_RUN_DIR, else .vmrng)",
  );
}

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

/** "Examples:" help text, commander-style. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

/** Messages for people go to stderr, prefixed like every vmrng diagnostic. */
export function note(message: string): void {
  process.stderr.write(`vmrng: ${message}\n`);
}
