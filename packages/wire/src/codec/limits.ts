/**
 * Bounds applied to every frame before the MessagePack decoder allocates anything. Schema caps
 * (per field) are tighter; these bound the work an arbitrary frame can cause.
 */
export interface CodecLimits {
  /** Largest frame accepted or produced, in bytes (also the ws `maxPayload`). */
  maxFrameBytes: number;
  /** Deepest nesting of maps/arrays; the top-level map is depth 1. */
  maxDepth: number;
  /** Most entries in one array or map. */
  maxCollection: number;
  /** Longest string, in UTF-8 bytes. */
  maxStringBytes: number;
  /** Longest binary, in bytes. */
  maxBinBytes: number;
}

export const DEFAULT_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxFrameBytes: 2 * 1024 * 1024,
  maxDepth: 16,
  maxCollection: 4096,
  maxStringBytes: 64 * 1024,
  maxBinBytes: 2 * 1024 * 1024,
});

export function resolveLimits(partial: Partial<CodecLimits> = {}): Readonly<CodecLimits> {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`codec limit ${k} must be a positive integer, got ${v}`);
  }
  return Object.freeze(limits);
}
