import { ControlClient } from "@vmrng/cluster/control";
import type { Command } from "commander";
import { colorsEnabled, makeStyler } from "../output/colors.js";
import { statusDocument } from "../status/status-document.js";
import { statusTable } from "../status/status-table.js";
import { examples, type RunDirOptions, readClusterSpec, runDirFrom, withRunDir } from "./common.js";

interface StatusOptions extends RunDirOptions {
  json?: boolean;
}

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
      const runDir = runDirFrom(opts);
      const client = await ControlClient.connect(runDir);
      try {
        const nodes = await client.status();
        const doc = statusDocument(runDir.root, client.state, readClusterSpec(runDir), nodes);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        } else {
          const style = makeStyler(colorsEnabled(process.stdout));
          process.stdout.write(`${statusTable(doc, style).join("\n")}\n`);
        }
      } finally {
        await client.close();
      }
    });
}
