import type { Command } from "commander";
import type { RunDirOptions } from "./common.js";
import { examples, withRunDir } from "./common.js";

export function registerRestart(program: Command): void {
  const cmd = program
    .command("restart")
    .summary("cold-reboot a guest")
    .description("cold-reboot a guest: stop it, then boot it again with fresh boot_params and seed")
    .argument("<node>", "guest id");
  withRunDir(cmd)
    .addHelpText("after", examples("vmrng restart starved", "vmrng restart coco && vmrng status"))
    .action(async (node: string, opts: RunDirOptions) => {
      const { runRestart } = await import("../actions/restart.js");
      await runRestart(node, opts);
    });
}
