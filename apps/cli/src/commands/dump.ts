import { type Command, Option } from "commander";
import type { DumpOptions } from "../actions/dump.js";
import { byteCountArg } from "./args.js";
import { examples, withRunDir } from "./common.js";

export function registerDump(program: Command): void {
  const cmd = program
    .command("dump")
    .summary("stream N random bytes read inside a guest to stdout")
    .description(
      "stream exactly N random bytes read inside a guest to stdout, for rngtest, dieharder or ent; the read follows stdout's pace (backpressure) and a closed pipe ends it quietly",
    )
    .argument("<guest>", "guest id")
    .addOption(
      new Option("-n, --bytes <n>", "how many bytes (K, M, G suffixes are 1024-based)")
        .argParser(byteCountArg)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--source <dev>", "the character device read in the guest")
        .choices(["random", "urandom", "hwrng"])
        .default("urandom"),
    );
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng dump seeded -n 100M | rngtest",
        "vmrng dump virtio -n 1M --source hwrng > hwrng.bin",
        "vmrng dump seeded -n 1G | head -c 16 | xxd   # ends quietly when head exits",
      ),
    )
    .action(async (guest: string, opts: DumpOptions) => {
      const { runDump } = await import("../actions/dump.js");
      await runDump(guest, opts);
    });
}
