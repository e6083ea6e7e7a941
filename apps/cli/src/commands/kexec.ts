import type { Command } from "commander";
import type { RunDirOptions } from "./common.js";
import { examples, withRunDir } from "./common.js";

export function registerKexec(program: Command): void {
  const cmd = program
    .command("kexec")
    .summary("kexec a guest into a new kernel, handing it a seed")
    .description(
      "kexec a guest into a new kernel: like kexec_file_load, the running kernel puts 32 bytes from its own CRNG in the next kernel's setup_data (SETUP_RNG_SEED), only if its CRNG is initialized; the next kernel is then READY at time 0",
    )
    .argument("<guest>", "guest id");
  withRunDir(cmd)
    .addHelpText("after", examples("vmrng kexec web", "vmrng kexec web && vmrng status web"))
    .action(async (guest: string, opts: RunDirOptions) => {
      const { runKexec } = await import("../actions/kexec.js");
      await runKexec(guest, opts);
    });
}
