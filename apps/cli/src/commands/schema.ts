import { ClusterFileSchema } from "@vmrng/cluster";
import type { Command } from "commander";
import { examples } from "./common.js";

/** The cluster file's JSON Schema, as editors and validators consume it. */
export function clusterJsonSchema(): Record<string, unknown> {
  // JSON.stringify drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  const plain = JSON.parse(JSON.stringify(ClusterFileSchema)) as Record<string, unknown>;
  return { $schema: "http://json-schema.org/draft-07/schema#", ...plain };
}

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .summary("print the cluster file's JSON Schema")
    .description("print the cluster file's JSON Schema")
    .addHelpText(
      "after",
      examples(
        "vmrng schema > vmrng.schema.json",
        "# then start a cluster file with:  $schema: ./vmrng.schema.json",
      ),
    )
    .action(() => {
      process.stdout.write(`${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
    });
}
