import type { HistoryRecord } from "../history.js";

/** Knobs the checkers read; the runner fills them from the scenario. */
export interface CheckContext {
  /** ready-by-deadline: wall ms from a guest's start to its READY (default 30000). */
  deadlineMs?: number;
}

/** One broken invariant: what happened, and the history lines that show it. */
export interface Violation {
  message: string;
  /** `seq`s of the offending records, in history order. */
  seqs: number[];
}

export interface CheckResult {
  checker: string;
  ok: boolean;
  violations: Violation[];
}

export type Checker = (records: readonly HistoryRecord[], ctx: CheckContext) => CheckResult;

export const DEFAULT_READY_DEADLINE_MS = 30_000;

export const result = (checker: string, violations: Violation[]): CheckResult => ({
  checker,
  ok: violations.length === 0,
  violations,
});

/** `+1.204s`: a record's wall time as the summaries print it. */
export const when = (at: number): string => `+${(at / 1000).toFixed(3)}s`;
