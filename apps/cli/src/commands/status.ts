import type { Command } from "commander";
import type { StatusOptions } from "../actions/status.js";
import { examples, withRunDir } from "./common.js";

export function registerStatus(program: Command): void {
  const cmd = program
    .command("status")
    .summary("show every node, its CRNG and entropy channels")
    .description(
      "show every node: role, pid, state, crng init state, entropy_avail, generation, virtual uptime, time to READY and bytes received per entropy channel",
    )
    .option("--json", "print one JSON document (shape documented in the README)");
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng status",
        "vmrng status --json | jq -r '.nodes[] | select(.crng.init != \"READY\") | .id'",
        "vmrng status --run-dir /tmp/lab2",
      ),
    )
    .action(async (opts: StatusOptions) => {
      const { runStatus } = await import("../actions/status.js");
      await runStatus(opts);
    });
}
