/** `250ms`, `5s`, `2m` (fractions allowed: `1.5s`) or a plain number of milliseconds. */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/** Why a duration was refused; the scenario validator turns it into a ScenarioError. */
export class DurationError extends Error {
  readonly code = "E_DURATION";
}

/** Parses a duration to whole milliseconds (rounded), refusing negatives, NaN and unknown units. */
export function parseDuration(value: unknown): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0)
      throw new DurationError(`expected a duration ≥ 0 ms (got ${value})`);
    return Math.round(value);
  }
  if (typeof value !== "string")
    throw new DurationError(
      `expected a duration like "250ms", "5s", "2m" or a number of ms (got ${JSON.stringify(value) ?? String(value)})`,
    );
  const m = DURATION.exec(value.trim());
  if (!m)
    throw new DurationError(
      `expected a duration like "250ms", "5s", "2m" or a number of ms (got ${JSON.stringify(value)})`,
    );
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** Milliseconds back to the shortest readable form: 1500 → "1.5s", 120000 → "2m". */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms}ms`;
}
