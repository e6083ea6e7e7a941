import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerDown } from "./commands/down.js";
import { registerDump } from "./commands/dump.js";
import { registerFault } from "./commands/fault.js";
import { registerGetrandom } from "./commands/getrandom.js";
import { registerKexec } from "./commands/kexec.js";
import { registerLogs } from "./commands/logs.js";
import { registerQemuDemo } from "./commands/qemu-demo.js";
import { registerRestart } from "./commands/restart.js";
import { registerRun } from "./commands/run.js";
import { registerSchema } from "./commands/schema.js";
import { registerSnapshot } from "./commands/snapshot.js";
import { registerStatus } from "./commands/status.js";
import { registerUp } from "./commands/up.js";
import { ExitCode } from "./exit-codes.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    return String(pkg.version);
  } catch {
    return "unknown";
  }
}

/** The `vmrng` command tree. Parse errors throw CommanderError instead of exiting. */
export function buildProgram(): Command {
  const program = new Command("vmrng")
    .description(
      "Run a local cluster of emulated Linux guests, hypervisors and a host as real processes, and watch how entropy reaches each guest (setup_data seed, virtio-rng, RNG MSR, vmgenid, RDRAND).",
    )
    .version(version(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      outputError: (str, write) => write(`vmrng: ${str.replace(/^error: /, "")}`),
    })
    .exitOverride()
    .addHelpText(
      "after",
      `\nExit codes: 0 ok, 1 failure, 2 bad usage or cluster file, 3 no cluster running,\n` +
        `4 boot target missed, 5 EAGAIN, 6 other guest errno, 7 already running, 8 no such node,\n` +
        `${ExitCode.INTERRUPTED}/${ExitCode.TERMINATED} foreground up stopped by SIGINT/SIGTERM.\n`,
    );
  registerUp(program);
  registerStatus(program);
  registerLogs(program);
  registerDown(program);
  registerRestart(program);
  registerGetrandom(program);
  registerSnapshot(program);
  registerKexec(program);
  registerDump(program);
  registerFault(program);
  registerSchema(program);
  registerQemuDemo(program);
  registerRun(program);
  return program;
}
