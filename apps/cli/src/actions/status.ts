import { ControlClient } from "@vmrng/cluster/control";
import type { RunDirOptions } from "../commands/common.js";
import { colorsEnabled, makeStyler } from "../output/colors.js";
import { statusDocument } from "../status/status-document.js";
import { statusTable } from "../status/status-table.js";
import { readClusterSpec, runDirFrom } from "./run-dir.js";

export interface StatusOptions extends RunDirOptions {
  json?: boolean;
}

export async function runStatus(opts: StatusOptions): Promise<void> {
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
}
