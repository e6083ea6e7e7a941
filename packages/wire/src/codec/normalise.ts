import { Kind, type TSchema } from "@sinclair/typebox";

/**
 * Repairs the one ambiguity MessagePack leaves between honest peers: integer width. msgpackr
 * writes a bigint as int64/uint64 (decoded back as bigint) and a number as the smallest int that
 * fits, but another encoder may write u64 7 as a fixint (decoded as number 7) or a u32 as a
 * uint64 (decoded as bigint). Walking the schema, this converts number→bigint where the schema
 * says bigint, and safe-range bigint→number where it says number/integer. It only runs after a
 * fast check failed (never on the hot path), mutates the freshly decoded value in place, and the
 * result is checked again, so it can widen nothing the schema forbids.
 */
export function normaliseIntegers(schema: TSchema, value: unknown): unknown {
  switch (schema[Kind]) {
    case "BigInt":
      return typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value;
    case "Integer":
    case "Number":
      return toSafeNumber(value);
    case "Literal":
      return typeof schema.const === "number" ? toSafeNumber(value) : value;
    case "Union":
      return normaliseUnion(schema.anyOf as TSchema[], value);
    case "Object": {
      if (!isPlainObject(value)) return value;
      const props = schema.properties as Record<string, TSchema>;
      for (const key of Object.keys(value)) {
        const sub = Object.hasOwn(props, key) ? props[key] : undefined;
        if (sub !== undefined) value[key] = normaliseIntegers(sub, value[key]);
      }
      return value;
    }
    case "Array": {
      if (!Array.isArray(value)) return value;
      const items = schema.items as TSchema;
      for (let i = 0; i < value.length; i++) value[i] = normaliseIntegers(items, value[i]);
      return value;
    }
    default:
      // Records and recursive open values accept both numbers and bigints as they are.
      return value;
  }
}

/**
 * Unions in the catalogue are enums of literals (strings, or the power-of-two queue sizes) and
 * the open value type; no union of objects exists. A scalar the union already accepts as its
 * own kind is left alone (so bigints inside open event data stay bigints); otherwise it is
 * converted towards the numeric kind the union has.
 */
function normaliseUnion(variants: TSchema[], value: unknown): unknown {
  if (typeof value === "bigint") {
    if (variants.some((v) => v[Kind] === "BigInt")) return value;
    return variants.some(isNumeric) ? toSafeNumber(value) : value;
  }
  if (typeof value === "number") {
    if (variants.some(isNumeric)) return value;
    const wantsBigInt = variants.some((v) => v[Kind] === "BigInt");
    return wantsBigInt && Number.isSafeInteger(value) ? BigInt(value) : value;
  }
  return value;
}

function isNumeric(s: TSchema): boolean {
  const k = s[Kind];
  return k === "Number" || k === "Integer" || (k === "Literal" && typeof s.const === "number");
}

function toSafeNumber(value: unknown): unknown {
  if (typeof value !== "bigint") return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
