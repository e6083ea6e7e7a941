import { type Command, Option } from "commander";
import type { GetrandomOptions } from "../actions/getrandom.js";
import { byteCountArg, flagsArg, secondsArg } from "./args.js";
import { examples, withRunDir } from "./common.js";

export function registerGetrandom(program: Command): void {
  const cmd = program
    .command("getrandom")
    .summary("call getrandom(2) inside a guest")
    .description(
      "call getrandom(2) inside a guest and print what it returned: the guest's emulated kernel answers, so before crng init a GRND_NONBLOCK call fails with EAGAIN and a plain one blocks",
    )
    .argument("<guest>", "guest id")
    .addOption(
      new Option("-n, --bytes <n>", "buffer length (K, M, G suffixes are 1024-based)")
        .argParser(byteCountArg)
        .default(32),
    )
    .option("--nonblock", "GRND_NONBLOCK (1): fail with EAGAIN instead of blocking")
    .option("--random", "GRND_RANDOM (2): the same as no flag since Linux 5.6")
    .option("--insecure", "GRND_INSECURE (4): never block, even before crng init")
    .addOption(
      new Option(
        "--flags <u32>",
        "raw flags word, unknown bits included (the guest answers EINVAL)",
      )
        .argParser(flagsArg)
        .conflicts(["nonblock", "random", "insecure"]),
    )
    .addOption(new Option("--hex", "print hex (default on a terminal)").conflicts("raw"))
    .option("--raw", "write the raw bytes (default when stdout is not a terminal)")
    .addOption(
      new Option("--timeout <s>", "give up on a blocking call after S seconds").argParser(
        secondsArg,
      ),
    );
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng getrandom seeded",
        "vmrng getrandom starved --nonblock        # exit 5: EAGAIN until crng init",
        "vmrng getrandom virtio -n 64 --raw | xxd",
        "vmrng getrandom coco --flags 6           # GRND_RANDOM|GRND_INSECURE: EINVAL",
      ),
    )
    .action(async (guest: string, opts: GetrandomOptions) => {
      const { runGetrandom } = await import("../actions/getrandom.js");
      await runGetrandom(guest, opts);
    });
}
