/** Reconnection backoff: exponential, capped, with jitter so many clients do not stampede. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** Cap on any delay. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of the delay that is randomised away: delay ∈ [base·(1−jitter), base]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 100,
  maxMs: 10_000,
  factor: 2,
  jitter: 0.5,
});

/**
 * Delay before retry number `attempt` (0 = first retry). `random` returns [0, 1); tests inject a
 * deterministic one.
 */
export function backoffDelay(
  attempt: number,
  options: Readonly<BackoffOptions>,
  random: () => number,
): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** attempt);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(base * (1 - options.jitter * r));
}
