import type { Command } from "commander";
import type { DownOptions } from "../actions/down.js";
import { secondsArg } from "./args.js";
import { examples, withRunDir } from "./common.js";

export function registerDown(program: Command): void {
  const cmd = program
    .command("down")
    .summary("stop the cluster; no process of it survives")
    .description(
      "stop the cluster: guests first, then hypervisors, then the host; anything recorded that still runs after the grace period is killed, so no process of the cluster survives",
    )
    .option("--timeout <s>", "grace period before processes are killed", secondsArg, 10);
  withRunDir(cmd)
    .addHelpText("after", examples("vmrng down", "vmrng down --timeout 2 --run-dir /tmp/lab2"))
    .action(async (opts: DownOptions) => {
      const { runDown } = await import("../actions/down.js");
      await runDown(opts);
    });
}
