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

/** "Examples:" help text, commander-style. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

/** Messages for people go to stderr, prefixed like every vmrng diagnostic. */
export function note(message: string): void {
  process.stderr.write(`vmrng: ${message}\n`);
}
