import { WireError } from "../../errors.js";
import type { Toxic, ToxicType } from "./types.js";

/** The numeric fields of each toxic type, with the rule each must meet. */
type Rule = "nonNegative" | "positive" | "probability" | "positiveInteger" | "nonNegativeInteger";
const FIELDS: { readonly [T in ToxicType]: Readonly<Record<string, Rule>> } = {
  latency: { latencyMs: "nonNegative", jitterMs: "nonNegative" },
  bandwidth: { bytesPerSec: "positive" },
  slow_close: { delayMs: "nonNegative" },
  timeout: { timeoutMs: "nonNegative" },
  reset_peer: { timeoutMs: "nonNegative" },
  slicer: {
    averageSize: "positiveInteger",
    sizeVariation: "nonNegativeInteger",
    delayUs: "nonNegative",
  },
  limit_data: { bytes: "nonNegativeInteger" },
  drop: { probability: "probability" },
  duplicate: { probability: "probability" },
  corrupt: { probability: "probability", bytes: "positiveInteger" },
};

const RULE_TEXT: Record<Rule, string> = {
  nonNegative: "a finite number >= 0",
  positive: "a finite number > 0",
  probability: "a number in [0, 1]",
  positiveInteger: "an integer >= 1",
  nonNegativeInteger: "an integer >= 0",
};

/** Longest timer Node can arm (setTimeout clamps anything above to 1 ms). */
const MAX_MS = 2 ** 31 - 1;

function meets(rule: Rule, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  switch (rule) {
    case "nonNegative":
      return v >= 0;
    case "positive":
      return v > 0;
    case "probability":
      return v >= 0 && v <= 1;
    case "positiveInteger":
      return Number.isInteger(v) && v >= 1;
    case "nonNegativeInteger":
      return Number.isInteger(v) && v >= 0;
  }
}

function invalid(message: string): WireError {
  return new WireError("E_INVALID", message);
}

/**
 * Checks a toxic exactly against the `Toxic` union: a known type, every field present and in
 * range, no unknown field (a misspelt `latency` instead of `latencyMs` must not pass silently).
 * Returns a frozen copy, so the caller cannot change a toxic once it is active.
 */
export function validateToxic(name: unknown, direction: unknown, toxic: unknown): Toxic {
  if (typeof name !== "string" || name.length === 0 || name.length > 128) {
    throw invalid("toxic name must be a string of 1 to 128 characters");
  }
  if (direction !== "send" && direction !== "receive") {
    throw invalid(`toxic ${name}: direction must be "send" or "receive", got ${String(direction)}`);
  }
  if (typeof toxic !== "object" || toxic === null || Array.isArray(toxic)) {
    throw invalid(`toxic ${name}: expected an object with a type`);
  }
  const t = (toxic as { type?: unknown }).type;
  if (typeof t !== "string" || !Object.hasOwn(FIELDS, t)) {
    throw invalid(
      `toxic ${name}: unknown type ${String(t)} (known: ${Object.keys(FIELDS).join(", ")})`,
    );
  }
  const fields = FIELDS[t as ToxicType];
  const out: Record<string, unknown> = { type: t };
  for (const key of Object.keys(toxic)) {
    if (key !== "type" && !Object.hasOwn(fields, key)) {
      throw invalid(`toxic ${name}: ${t} has no field ${key}`);
    }
  }
  for (const [key, rule] of Object.entries(fields)) {
    const v = (toxic as Record<string, unknown>)[key];
    if (typeof v !== "number" || !meets(rule, v)) {
      throw invalid(`toxic ${name}: ${t}.${key} must be ${RULE_TEXT[rule]}, got ${String(v)}`);
    }
    if (key.endsWith("Ms") && v > MAX_MS) {
      throw invalid(`toxic ${name}: ${t}.${key} must be at most ${MAX_MS} ms`);
    }
    out[key] = v;
  }
  const checked = out as Toxic;
  if (checked.type === "slicer") {
    if (direction !== "send") {
      throw invalid(
        `toxic ${name}: slicer only acts on send (a received frame is already reassembled by ws)`,
      );
    }
    // Toxiproxy's slicer.go: "size_variation ... Must be less than the average size".
    if (checked.sizeVariation >= checked.averageSize) {
      throw invalid(`toxic ${name}: slicer.sizeVariation must be less than averageSize`);
    }
  }
  return Object.freeze(checked);
}
