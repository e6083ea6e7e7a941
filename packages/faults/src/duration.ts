import { FaultError } from "./errors.js";

/** The longest duration accepted anywhere (fault lifetimes, delays, scenario times): 24 h. */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/;

/**
 * A duration in milliseconds from `250ms`, `5s`, `1.5s`, `2m`, `1h`, a bare number of ms
 * (`300`, `"300"`). Zero is accepted (a start time of 0 is meaningful); negative, NaN,
 * infinite and over-24h values are refused with E_FAULT_DURATION.
 */
export function parseDuration(text: string | number): number {
  let ms: number;
  if (typeof text === "number") {
    ms = text;
  } else if (typeof text === "string") {
    const t = text.trim();
    const m = DURATION_RE.exec(t);
    if (m === null) {
      throw new FaultError(
        "E_FAULT_DURATION",
        `bad duration '${text}': expected a number with an optional unit ms, s, m or h (e.g. 250ms, 5s, 1.5s, 2m)`,
      );
    }
    ms = Number(m[1]) * UNIT_MS[m[2] ?? "ms"]!;
  } else {
    throw new FaultError(
      "E_FAULT_DURATION",
      `bad duration: expected a string or a number, got ${typeof text}`,
    );
  }
  if (!Number.isFinite(ms)) {
    throw new FaultError("E_FAULT_DURATION", `bad duration '${String(text)}': not a finite number`);
  }
  if (ms < 0) {
    throw new FaultError(
      "E_FAULT_DURATION",
      `bad duration '${String(text)}': must not be negative`,
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw new FaultError(
      "E_FAULT_DURATION",
      `bad duration '${String(text)}': ${ms} ms is over the 24h limit (${MAX_DURATION_MS} ms)`,
    );
  }
  return ms;
}
