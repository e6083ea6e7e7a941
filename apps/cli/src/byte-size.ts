/** A byte count the user wrote that we cannot use. */
export class ByteSizeError extends Error {
  readonly code = "E_BYTE_SIZE";
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid byte count ${JSON.stringify(input)}: ${reason}`);
    this.name = "ByteSizeError";
  }
}

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * Parses "32", "4K", "100M", "1G", "1.5M" (also "4KiB", "4k"): 1024-based suffixes, like
 * dd(1)'s and head(1)'s K/M/G. The result must be a whole number of bytes.
 */
export function parseByteSize(input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?B)?\s*$/.exec(input);
  if (!m) throw new ByteSizeError(input, "expected a number with an optional K, M or G suffix");
  const bytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  if (!Number.isSafeInteger(bytes))
    throw new ByteSizeError(input, "not a whole number of bytes (or too large)");
  return bytes;
}

/** 1536 → "1.5 KiB"; for progress and messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
