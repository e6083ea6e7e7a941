/**
 * Runs `fn` in growing batches until at least `minMs` of wall time is spent, after a warm-up, and
 * returns calls per second. `fn` should return something derived from its work so the JIT cannot
 * drop it; the sink below keeps it observable.
 */
export function measureOpsPerSec(fn: () => unknown, minMs = 500, warmupMs = 100): number {
  let sink: unknown;
  const run = (budgetMs: number): number => {
    let calls = 0;
    let batch = 16;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < budgetMs) {
      for (let i = 0; i < batch; i++) sink = fn();
      calls += batch;
      batch = Math.min(batch * 2, 1 << 16);
      elapsed = performance.now() - start;
    }
    return (calls / elapsed) * 1000;
  };
  run(warmupMs);
  const result = run(minMs);
  if (sink === Symbol.for("never")) console.log(sink);
  return result;
}

/** Nearest-rank percentile of `samples` (p in [0, 100]). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: readonly number[]): { p50: number; p99: number; mean: number } {
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean };
}
