import { FaultError, MAX_DURATION_MS, parseDuration } from "@vmrng/faults";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

function durationError(input: string | number): FaultError {
  try {
    parseDuration(input);
  } catch (e) {
    expect(e).toBeInstanceOf(FaultError);
    return e as FaultError;
  }
  throw new Error(`parseDuration(${String(input)}) did not throw`);
}

describe("parseDuration", () => {
  it("reads ms, s, fractional s, m, h and bare numbers", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration(" 300 ")).toBe(300);
    expect(parseDuration(42)).toBe(42);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("24h")).toBe(MAX_DURATION_MS);
  });

  it("refuses negative, NaN, junk and over 24 h with E_FAULT_DURATION", () => {
    for (const bad of ["-5s", "abc", "5x", "", "s", "1.2.3s", "5 seconds"]) {
      const e = durationError(bad);
      expect(e.code).toBe("E_FAULT_DURATION");
      expect(e.message).toContain(bad);
      expect(e.message).toMatch(/ms, s, m or h/);
    }
    expect(durationError(-1).message).toMatch(/negative/);
    expect(durationError(Number.NaN).message).toMatch(/finite/);
    expect(durationError(Number.POSITIVE_INFINITY).message).toMatch(/finite/);
    const over = durationError("25h");
    expect(over.code).toBe("E_FAULT_DURATION");
    expect(over.message).toMatch(/24h limit/);
    expect(durationError(MAX_DURATION_MS + 1).code).toBe("E_FAULT_DURATION");
  });

  it("round-trips every unit (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), (n) => {
        expect(parseDuration(`${n}s`)).toBe(n * 1000);
        expect(parseDuration(`${n}ms`)).toBe(n);
        expect(parseDuration(String(n))).toBe(n);
        if (n <= 1440) expect(parseDuration(`${n}m`)).toBe(n * 60_000);
      }),
    );
  });
});
