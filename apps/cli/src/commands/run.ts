import { type Command, InvalidArgumentError } from "commander";
import { examples } from "./common.js";

function seedArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n > 0xffff_ffff)
    throw new InvalidArgumentError("expected an integer seed from 0 to 4294967295");
  return n;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .summary("run a scenario: a fresh cluster, a seeded schedule of ops and faults, checkers")
    .description(
      "run a scenario: start a fresh cluster in the run's own directory, drive the scenario's seeded schedule of client operations (getrandom, reads, clones, kexecs) and faults, record the full history as JSON lines (scenario-history.jsonl), stop the cluster and check the invariants (unique-blocks, ready-by-deadline, coco-rdrand-panics, unique-boot-seeds, vmfork-delivered). The same seed gives the same schedule.\n\n" +
        "SCENARIO is a .yaml/.yml file, a .ts/.mts/.js/.mjs module whose default export is the scenario (defineScenario from @vmrng/scenario), or the name of one in tools/scenarios (e.g. fork-notify).",
    )
    .argument("<scenario>", "scenario file, or the name of one in tools/scenarios")
    .option(
      "--seed <n>",
      "seed of the plan and of random fault targets (default: the scenario's, else 1)",
      seedArg,
    )
    .option(
      "--json",
      "print the summary as one JSON document (RunSummaryJson + runDir, faultErrors)",
    )
    .option(
      "--run-dir <dir>",
      "run directory for the run's cluster, logs and history (default: .vmrng/runs/<scenario>-s<seed>-<time>/)",
    )
    .option(
      "--keep",
      "leave the cluster running after the run (stop it with vmrng down --run-dir DIR)",
    )
    .addHelpText(
      "after",
      examples(
        "vmrng run fork-notify",
        "vmrng run tools/scenarios/fork-off.yaml --seed 7",
        "vmrng run my-scenario.ts --json > summary.json",
        "vmrng run kexec-chain --run-dir /tmp/kx --keep && vmrng status --run-dir /tmp/kx",
      ) +
        "\nExit codes: 0 every invariant held as declared, 1 an invariant failed (or a declared\n" +
        "violation did not happen, or a fault could not be applied), 2 bad scenario or option\n" +
        "(nothing started), 3 the cluster did not start or its host went away, 130/143 interrupted.\n",
    )
    .action(
      async (
        scenario: string,
        opts: { seed?: number; json?: boolean; runDir?: string; keep?: boolean },
      ) => {
        const { runScenario } = await import("../run/run-scenario.js");
        process.exitCode = await runScenario(scenario, opts);
      },
    );
}
