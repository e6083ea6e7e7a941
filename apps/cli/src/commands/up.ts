import { type Command, Option } from "commander";
import type { UpOptions } from "../actions/up.js";
import { collect, secondsArg } from "./args.js";
import { examples, withRunDir } from "./common.js";

export function registerUp(program: Command): void {
  const cmd = program
    .command("up")
    .summary("start a cluster (foreground, or --detach)")
    .description(
      "start a cluster: the host, its hypervisors and their guests, each a process. In the foreground it shows every node's log and a live guest table until Ctrl-C stops it all.",
    )
    .option("-f, --file <path>", "cluster file (YAML); default: the embedded four-guest cluster")
    .option(
      "--set <path=value>",
      "override a setting before validation (repeatable): defaults.clockRate=10, hypervisors.0.guests.1.seed=absent, guest:starved.interrupts.perSecond=5; null removes",
      collect,
      [] as string[],
    )
    .option("-d, --detach", "run in the background and return once the host listens")
    .option("--wait", "with --detach (implied): return once every guest reached its boot target")
    .addOption(
      new Option(
        "--timeout <s>",
        "how long --wait waits for boot targets, and down waits for a graceful stop",
      )
        .argParser(secondsArg)
        .default(60),
    )
    .option("--json", "with --detach: print the result as one JSON document");
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng up",
        "vmrng up -f lab.yaml --set defaults.clockRate=10",
        "vmrng up --set guest:starved.interrupts.perSecond=5 --set hypervisors.0.guests.1.seed=absent",
        "vmrng up -f lab.yaml --detach --wait --timeout 30 && vmrng status",
        "VMRNG_RUN_DIR=/tmp/lab2 vmrng up -d     # a second cluster beside the first",
      ),
    )
    .action(async (opts: UpOptions) => {
      const { runUp } = await import("../actions/up.js");
      await runUp(opts);
    });
}
