import type { HistoryRecord } from "../history.js";
import { COCO_RDRAND_PANICS, cocoRdrandPanics } from "./coco-rdrand-panics.js";
import { READY_BY_DEADLINE, readyByDeadline } from "./ready-by-deadline.js";
import type { CheckContext, Checker, CheckResult } from "./types.js";
import { UNIQUE_BLOCKS, uniqueBlocks } from "./unique-blocks.js";
import { UNIQUE_BOOT_SEEDS, uniqueBootSeeds } from "./unique-boot-seeds.js";
import { VMFORK_DELIVERED, vmforkDelivered } from "./vmfork-delivered.js";

/** The checkers by name, in the order runs report them. */
export const CHECKERS = {
  [UNIQUE_BLOCKS]: uniqueBlocks,
  [READY_BY_DEADLINE]: readyByDeadline,
  [COCO_RDRAND_PANICS]: cocoRdrandPanics,
  [UNIQUE_BOOT_SEEDS]: uniqueBootSeeds,
  [VMFORK_DELIVERED]: vmforkDelivered,
} as const satisfies Record<string, Checker>;

export type CheckerName = keyof typeof CHECKERS;
export const CHECKER_NAMES = Object.keys(CHECKERS) as CheckerName[];

/** Every checker's result, each marked with whether the scenario declared it would fail. */
export interface RunVerdict {
  /** True iff the set of failing checkers equals the declared expected set exactly. */
  ok: boolean;
  results: (CheckResult & { expected: boolean })[];
  /** Checkers that failed without being declared. */
  unexpectedViolations: string[];
  /** Checkers declared to fail that held (or names that are no checker: they can never fail). */
  missingExpected: string[];
}

/** Runs all five checkers and compares what failed with what the scenario declared. */
export function runCheckers(
  records: readonly HistoryRecord[],
  ctx: CheckContext,
  expected: readonly string[] = [],
): RunVerdict {
  const declared = new Set(expected);
  const results = CHECKER_NAMES.map((name) => ({
    ...CHECKERS[name](records, ctx),
    expected: declared.has(name),
  }));
  const failed = new Set(results.filter((r) => !r.ok).map((r) => r.checker));
  const unexpectedViolations = results.filter((r) => !r.ok && !r.expected).map((r) => r.checker);
  const missingExpected = [...declared].filter((n) => !failed.has(n));
  return {
    ok: unexpectedViolations.length === 0 && missingExpected.length === 0,
    results,
    unexpectedViolations,
    missingExpected,
  };
}
