import { CommanderError } from "commander";
import { ExitCode, exitCodeOf } from "./exit-codes.js";
import { buildProgram } from "./program.js";

/** Turns anything a command throws into `vmrng: <message>` on stderr and an exit code. */
export function reportError(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`vmrng: ${message}\n`);
  if (process.env.VMRNG_DEBUG && err instanceof Error && err.stack)
    process.stderr.write(`${err.stack}\n`);
  return exitCodeOf(err);
}

/** Runs the CLI on `argv` (process.argv layout) and resolves with the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    // A command that ends without an error may still have set a status (foreground up: 130).
    return Number(process.exitCode ?? ExitCode.OK);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; parse errors were already printed.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    return reportError(err);
  }
}
