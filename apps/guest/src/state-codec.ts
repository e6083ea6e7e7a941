import { WireError } from "@vmrng/wire";

/**
 * The guest's saved state as bytes: JSON in which the two types JSON lacks travel tagged
 * ({"$u64": "decimal"} for bigint, {"$u8": "base64"} for Uint8Array), so every u64 stays a
 * bigint and every buffer a Uint8Array through a snapshot file, exactly as serialize() made them.
 */
export function encodeState(value: unknown): Uint8Array {
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (typeof raw === "bigint") return { $u64: raw.toString() };
    if (raw instanceof Uint8Array) return { $u8: Buffer.from(raw).toString("base64") };
    return v;
  });
  return new TextEncoder().encode(text);
}

export function decodeState(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes), (_k, v: unknown) => {
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o);
        if (keys.length === 1 && typeof o.$u64 === "string") return BigInt(o.$u64);
        if (keys.length === 1 && typeof o.$u8 === "string") {
          return new Uint8Array(Buffer.from(o.$u8, "base64"));
        }
      }
      return v;
    });
  } catch (err) {
    throw new WireError("E_INVALID", `guest state is not a saved guest: ${(err as Error).message}`);
  }
}
