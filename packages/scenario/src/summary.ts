import type { RunVerdict } from "./checkers/index.js";
import { formatDuration } from "./duration.js";
import { formatRecord, type HistoryRecord, type OpName } from "./history.js";

/** Counts per completed op outcome. */
export interface OpCounts {
  ok: number;
  fail: number;
  info: number;
}

/** What the summary reports besides the checkers; computeStats() derives it from the history. */
export interface RunStats {
  scenario: string;
  seed: number;
  /** Wall ms from the run's start to its end. */
  durationMs: number;
  /** Per op name (getrandom, read, clone…), completions by outcome. */
  ops: Partial<Record<OpName, OpCounts>>;
  faults: { applied: number; stopped: number; errors: number };
  /** Torn lines parseHistory skipped. */
  skippedLines: number;
  /** Where the history was written, when known. */
  historyPath?: string;
}

/** Stats from a history: scenario and seed from the `run` records, ops and faults counted. */
export function computeStats(
  records: readonly HistoryRecord[],
  extra: { skippedLines?: number; historyPath?: string } = {},
): RunStats {
  let scenario = "";
  let seed = 0;
  let start: number | undefined;
  let end: number | undefined;
  const ops: Partial<Record<OpName, OpCounts>> = {};
  const faults = { applied: 0, stopped: 0, errors: 0 };
  for (const r of records) {
    if (r.type === "run") {
      scenario = r.scenario;
      seed = r.seed;
      if (r.phase === "start") start = r.at;
      if (r.phase === "end") end = r.at;
    } else if (r.type === "op" && r.phase !== "invoke") {
      const c = ops[r.f] ?? { ok: 0, fail: 0, info: 0 };
      ops[r.f] = c;
      c[r.phase]++;
    } else if (r.type === "fault") {
      if (r.phase === "start") faults.applied++;
      else if (r.phase === "stop") faults.stopped++;
      else faults.errors++;
    }
  }
  const last = records[records.length - 1];
  return {
    scenario,
    seed,
    durationMs: (end ?? last?.at ?? 0) - (start ?? 0),
    ops,
    faults,
    skippedLines: extra.skippedLines ?? 0,
    ...(extra.historyPath === undefined ? {} : { historyPath: extra.historyPath }),
  };
}

/** Offending history lines shown per violation, and violations shown per checker. */
export const LINES_PER_VIOLATION = 5;
export const VIOLATIONS_PER_CHECKER = 20;

const paint = (on: boolean) => (code: number, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

function linesOf(seqs: readonly number[], bySeq: Map<number, HistoryRecord>): string[] {
  return seqs.slice(0, LINES_PER_VIOLATION).map((seq) => {
    const r = bySeq.get(seq);
    return r ? formatRecord(r) : `#${seq} (not in the history)`;
  });
}

/**
 * The readable end of a run: what ran, the ops and faults, one line per checker (PASS/FAIL,
 * with "expected" marks), each violation with up to 5 of its history lines, and the verdict.
 */
export function renderSummary(
  verdict: RunVerdict,
  stats: RunStats,
  records: readonly HistoryRecord[],
  opts: { color: boolean },
): string {
  const c = paint(opts.color);
  const bold = (s: string) => c(1, s);
  const green = (s: string) => c(32, s);
  const red = (s: string) => c(31, s);
  const yellow = (s: string) => c(33, s);
  const dim = (s: string) => c(2, s);
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  const out: string[] = [];

  out.push(
    `${bold("scenario")} ${stats.scenario}  ${bold("seed")} ${stats.seed}  ${bold("duration")} ${formatDuration(stats.durationMs)}`,
  );
  if (stats.historyPath) out.push(`${bold("history")}  ${stats.historyPath}`);
  if (stats.skippedLines > 0)
    out.push(yellow(`history: ${stats.skippedLines} torn last line skipped`));

  const opNames = Object.keys(stats.ops).sort() as OpName[];
  const totals = { ok: 0, fail: 0, info: 0 };
  const opParts = opNames.map((f) => {
    const n = stats.ops[f]!;
    totals.ok += n.ok;
    totals.fail += n.fail;
    totals.info += n.info;
    return `${f} ${n.ok}/${n.fail}/${n.info}`;
  });
  out.push(
    `${bold("operations")} ${totals.ok + totals.fail + totals.info} (ok/fail/info)${opParts.length ? `: ${opParts.join(", ")}` : ""}`,
  );
  const fx = stats.faults;
  out.push(
    `${bold("faults")}     applied ${fx.applied}, removed ${fx.stopped}, errors ${fx.errors > 0 ? red(String(fx.errors)) : "0"}`,
  );

  out.push(bold("invariants"));
  for (const r of verdict.results) {
    const mark = r.ok ? green("PASS") : r.expected ? yellow("FAIL") : red("FAIL");
    const note = r.expected
      ? r.ok
        ? red("  expected to fail, but held")
        : dim("  (expected)")
      : r.ok
        ? ""
        : red("  unexpected");
    const count = r.violations.length ? ` ${r.violations.length} violation(s)` : "";
    out.push(`  ${mark} ${r.checker}${count}${note}`);
    for (const v of r.violations.slice(0, VIOLATIONS_PER_CHECKER)) {
      out.push(`       - ${v.message}`);
      for (const line of linesOf(v.seqs, bySeq)) out.push(dim(`           ${line}`));
      if (v.seqs.length > LINES_PER_VIOLATION)
        out.push(dim(`           … ${v.seqs.length - LINES_PER_VIOLATION} more lines`));
    }
    if (r.violations.length > VIOLATIONS_PER_CHECKER)
      out.push(
        `       … ${r.violations.length - VIOLATIONS_PER_CHECKER} more violations (see --json)`,
      );
  }

  if (verdict.ok) {
    const exp = verdict.results.filter((r) => r.expected).length;
    out.push(
      green(bold("PASS")) +
        (exp
          ? ` every invariant held except the ${exp} declared to fail, which did`
          : " every invariant held"),
    );
  } else {
    const why: string[] = [];
    if (verdict.unexpectedViolations.length)
      why.push(`unexpected violations: ${verdict.unexpectedViolations.join(", ")}`);
    if (verdict.missingExpected.length)
      why.push(`declared to fail but held: ${verdict.missingExpected.join(", ")}`);
    out.push(`${red(bold("FAIL"))} ${why.join("; ")}`);
  }
  return `${out.join("\n")}\n`;
}

/**
 * `vmrng run --json`: a stable, versioned shape.
 * - `version`: 1; bumped when a field changes meaning or goes away.
 * - `ok`: the run's verdict (exit code 0 iff true).
 * - `scenario`, `seed`, `durationMs`, `historyPath?`, `skippedLines`.
 * - `operations`: per op name `{ok, fail, info}` completions; `faults`: `{applied, stopped, errors}`.
 * - `checkers[]`: `{name, ok, expected, violations[]}`, each violation `{message, seqs, lines}`
 *   where `lines` are up to 5 formatted history lines for the first seqs.
 * - `unexpectedViolations`, `missingExpected`: checker names, as in RunVerdict.
 */
export interface RunSummaryJson {
  version: 1;
  ok: boolean;
  scenario: string;
  seed: number;
  durationMs: number;
  historyPath?: string;
  skippedLines: number;
  operations: Partial<Record<OpName, OpCounts>>;
  faults: { applied: number; stopped: number; errors: number };
  checkers: {
    name: string;
    ok: boolean;
    expected: boolean;
    violations: { message: string; seqs: number[]; lines: string[] }[];
  }[];
  unexpectedViolations: string[];
  missingExpected: string[];
}

export function summaryJson(
  verdict: RunVerdict,
  stats: RunStats,
  records: readonly HistoryRecord[],
): RunSummaryJson {
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  return {
    version: 1,
    ok: verdict.ok,
    scenario: stats.scenario,
    seed: stats.seed,
    durationMs: stats.durationMs,
    ...(stats.historyPath === undefined ? {} : { historyPath: stats.historyPath }),
    skippedLines: stats.skippedLines,
    operations: stats.ops,
    faults: { ...stats.faults },
    checkers: verdict.results.map((r) => ({
      name: r.checker,
      ok: r.ok,
      expected: r.expected,
      violations: r.violations.map((v) => ({
        message: v.message,
        seqs: [...v.seqs],
        lines: linesOf(v.seqs, bySeq),
      })),
    })),
    unexpectedViolations: [...verdict.unexpectedViolations],
    missingExpected: [...verdict.missingExpected],
  };
}
