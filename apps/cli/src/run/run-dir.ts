import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { isAlive, RunDir } from "@vmrng/cluster";
import { CliError, ExitCode } from "../exit-codes.js";

/** The run's own history (the host writes its event log to history.jsonl beside it). */
export const SCENARIO_HISTORY = "scenario-history.jsonl";
/** The scenario as validated, the seed and the full plan: what to diff between two runs. */
export const SCENARIO_PLAN = "scenario-plan.json";

/** `20250101T120000.123Z`-style UTC stamp: sortable, safe in a file name, ms apart. */
export const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, "");

/** `--run-dir`, else `.vmrng/runs/<scenario>-s<seed>-<stamp>/` under the working directory. */
export function scenarioRunDir(
  explicit: string | undefined,
  scenario: string,
  seed: number,
  now = new Date(),
): RunDir {
  return new RunDir(explicit ?? resolve(".vmrng", "runs", `${scenario}-s${seed}-${stamp(now)}`));
}

/**
 * Refuses a run directory where a cluster still lives: a run starts its own, fresh. A directory
 * reused from an earlier run loses that run's histories, so none of its events is read back
 * into this one.
 */
export function claimScenarioRunDir(runDir: RunDir): void {
  let state: ReturnType<RunDir["readState"]>;
  try {
    state = runDir.readState();
  } catch {
    state = undefined;
  }
  if (state && isAlive(state.hostPid))
    throw new CliError(
      `a cluster ("${state.cluster}", host pid ${state.hostPid}) is running in ${runDir.root}; ` +
        "a scenario starts its own: stop that one ('vmrng down --run-dir …') or pick another --run-dir",
      ExitCode.USAGE,
    );
  for (const f of [runDir.historyFile, join(runDir.root, SCENARIO_HISTORY)])
    rmSync(f, { force: true });
}
