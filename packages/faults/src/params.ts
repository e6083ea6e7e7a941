import type { TSchema } from "@sinclair/typebox";
import { parseDuration } from "./duration.js";
import { FaultError } from "./errors.js";

/** What a parameter schema accepts, in words: "an integer in 1..63", "one of up, down, both". */
export function describeSchema(s: TSchema): string {
  if (s.type === "number" || s.type === "integer") {
    const what = s.type === "integer" ? "an integer" : "a number";
    const lo =
      s.exclusiveMinimum !== undefined
        ? `(${s.exclusiveMinimum}`
        : s.minimum !== undefined
          ? `[${s.minimum}`
          : "(-inf";
    const hi =
      s.exclusiveMaximum !== undefined
        ? `${s.exclusiveMaximum})`
        : s.maximum !== undefined
          ? `${s.maximum}]`
          : "inf)";
    return `${what} in ${lo}, ${hi}`;
  }
  if (Array.isArray(s.anyOf)) {
    const lits = (s.anyOf as TSchema[]).map((x) => x.const).filter((x) => x !== undefined);
    return `one of ${lits.join(", ")}`;
  }
  if (s.type === "string" && s.pattern !== undefined) return `a node id (${s.pattern})`;
  if (s.type === "string") return "a string";
  if (s.type === "boolean") return "true or false";
  return "a valid value";
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A string value turned into what the schema wants (the `KIND:key=value` syntax and YAML give
 * strings): numbers for number/integer keys (keys ending in `Ms` also take durations like
 * `200ms` or `1.5s`), booleans for boolean keys. Anything else is returned unchanged, for the
 * range check to report.
 */
export function coerceParam(kind: string, key: string, schema: TSchema, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const v = value.trim();
  if (schema.type === "number" || schema.type === "integer") {
    if (NUMBER_RE.test(v)) return Number(v);
    if (key.endsWith("Ms")) {
      try {
        return parseDuration(v);
      } catch (e) {
        throw new FaultError(
          "E_FAULT_SPEC",
          `${kind}: ${key} must be ${describeSchema(schema)} (ms, or a duration like 250ms, 1.5s), got '${value}': ${(e as Error).message}`,
        );
      }
    }
    throw new FaultError(
      "E_FAULT_SPEC",
      `${kind}: ${key} must be ${describeSchema(schema)}, got '${value}'`,
    );
  }
  if (schema.type === "boolean") {
    if (v === "true") return true;
    if (v === "false") return false;
  }
  return v;
}
