import { SeededRandom } from "@vmrng/faults";
import { expandSchedule, type PlannedStep, type Scenario } from "@vmrng/scenario";

/**
 * The run's plan: the scenario's schedule and load drawn from the seed's "plan" stream. Fault
 * targets draw from a separate "targets" stream (targetRandom), so a change in one never shifts
 * the other: same scenario and seed, same ops at the same times, same victims.
 */
export function runPlan(scenario: Scenario, seed: number): PlannedStep[] {
  return expandSchedule(scenario, seed, new SeededRandom(seed).fork("plan"));
}

/** The seeded source `random` fault targets are drawn from. */
export const targetRandom = (seed: number): SeededRandom => new SeededRandom(seed).fork("targets");
