import type { Command } from "commander";
import type { LogsOptions } from "../actions/logs.js";
import { linesArg } from "./args.js";
import { examples, withRunDir } from "./common.js";

export function registerLogs(program: Command): void {
  const cmd = program
    .command("logs")
    .summary("print (or follow) the nodes' logs")
    .description(
      "print the nodes' logs (kernel log lines of guests, hypervisor and host messages) from the run directory; with no NODE, every node's, each line prefixed with its node",
    )
    .argument("[node]", "only this node")
    .option("-f, --follow", "keep printing new lines until the cluster stops (or Ctrl-C)")
    .option("-n, --tail <lines>", "only the last LINES lines of each log", linesArg);
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng logs starved",
        "vmrng logs -f",
        "vmrng logs coco -n 20",
        "vmrng logs -f | grep 'crng init done'",
      ),
    )
    .action(async (node: string | undefined, opts: LogsOptions) => {
      const { runLogs } = await import("../actions/logs.js");
      await runLogs(node, opts);
    });
}
