import type { Command } from "commander";
import { examples } from "./common.js";

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
    .action(async () => {
      const { runSchema } = await import("../actions/schema.js");
      await runSchema();
    });
}
