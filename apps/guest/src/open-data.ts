/**
 * Turns a kernel event's data into what the wire's open-ended `data` field accepts: plain
 * values, bigints, bytes, arrays and string-keyed records; anything else is dropped.
 */
export function toOpenData(value: unknown, depth = 0): unknown {
  if (depth > 6) return null;
  if (value === null || typeof value === "boolean" || typeof value === "bigint") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string") return value.length > 4096 ? value.slice(0, 4096) : value;
  if (value instanceof Uint8Array) return value.slice(0, 65536);
  if (Array.isArray(value)) return value.slice(0, 256).map((v) => toOpenData(v, depth + 1));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === "function" || !/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(k))
        continue;
      if (++n > 64) break;
      out[k] = toOpenData(v, depth + 1);
    }
    return out;
  }
  return null;
}
