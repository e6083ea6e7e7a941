import { ControlClient } from "@vmrng/cluster/control";
import type { Command } from "commander";
import { CliError, exitCodeOf } from "../exit-codes.js";
import { examples, type RunDirOptions, runDirFrom, withRunDir } from "./common.js";

export function registerRestart(program: Command): void {
  const cmd = program
    .command("restart")
    .summary("cold-reboot a guest")
    .description("cold-reboot a guest: stop it, then boot it again with fresh boot_params and seed")
    .argument("<node>", "guest id");
  withRunDir(cmd)
    .addHelpText("after", examples("vmrng restart starved", "vmrng restart coco && vmrng status"))
    .action(async (node: string, opts: RunDirOptions) => {
      const client = await ControlClient.connect(runDirFrom(opts));
      try {
        const s = await client.restart(node);
        process.stdout.write(
          `${s.vm}: ${s.state}${s.pid === undefined ? "" : ` (pid ${s.pid})`}\n`,
        );
      } catch (err) {
        throw new CliError(`restart ${node}: ${(err as Error).message}`, exitCodeOf(err));
      } finally {
        await client.close();
      }
    });
}
