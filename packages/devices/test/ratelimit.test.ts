import { ManualClock } from "@vmrng/crng";
import { describe, expect, it } from "vitest";
import { DeviceConfigError, QemuRngQuota, RateLimiter, TokenBucket } from "../src/index.js";

const bucket = (size: number, burst: number, refill: number, clock = new ManualClock()) => {
  const b = TokenBucket.create(size, burst, refill, clock);
  if (!b) throw new Error("expected a bucket");
  return { b, clock };
};

describe("TokenBucket (Firecracker semantics)", () => {
  it("size 0 or refill 0 means no limiting; bad numbers are typed errors", () => {
    const c = new ManualClock();
    expect(TokenBucket.create(0, 0, 1000, c)).toBeNull();
    expect(TokenBucket.create(10, 0, 0, c)).toBeNull();
    expect(() => TokenBucket.create(-1, 0, 1000, c)).toThrow(DeviceConfigError);
    expect(() => TokenBucket.create(1.5, 0, 1000, c)).toThrow(DeviceConfigError);
  });

  it("starts full, spends, fails without time, refills linearly", () => {
    const { b, clock } = bucket(1000, 0, 1000);
    expect(b.budget).toBe(1000);
    expect(b.reduce(600)).toEqual({ kind: "success" });
    expect(b.budget).toBe(400);
    expect(b.reduce(500)).toEqual({ kind: "failure" });
    expect(b.budget).toBe(400); // a failure spends nothing
    clock.advance(100); // 100 ms of a 1000 ms refill = 100 tokens
    expect(b.reduce(500)).toEqual({ kind: "success" });
    expect(b.budget).toBe(0);
    clock.advance(5000); // more than refill_time: full, not more
    expect(b.reduce(1)).toEqual({ kind: "success" });
    expect(b.budget).toBe(999);
  });

  it("spends the one-time burst first, and it never refills", () => {
    const { b, clock } = bucket(100, 50, 1000);
    expect(b.reduce(30)).toEqual({ kind: "success" });
    expect([b.oneTimeBurst, b.budget]).toEqual([20, 100]);
    expect(b.reduce(40)).toEqual({ kind: "success" }); // 20 from burst, 20 from budget
    expect([b.oneTimeBurst, b.budget]).toEqual([0, 80]);
    clock.advance(10_000);
    b.reduce(0);
    expect(b.oneTimeBurst).toBe(0);
    // force_replenish during the burst goes to the burst, capped at its initial size.
    const { b: b2 } = bucket(100, 50, 1000);
    b2.reduce(10);
    b2.forceReplenish(100);
    expect([b2.oneTimeBurst, b2.budget]).toEqual([50, 100]);
  });

  it("carries fractional tokens by advancing last_update only for whole tokens", () => {
    // 3 tokens per 1000 ms: one token every 333.3 ms.
    const { b, clock } = bucket(3, 0, 1000);
    expect(b.reduce(3).kind).toBe("success");
    clock.advance(500); // 1.5 tokens earned -> 1, last_update moves 334 ms
    expect(b.reduce(2).kind).toBe("failure");
    expect(b.budget).toBe(1);
    clock.advance(200); // 366 ms since last_update -> 1.098 -> 1 more token
    expect(b.reduce(2).kind).toBe("success");
  });

  it("over-consumption succeeds and reports the excess ratio", () => {
    const { b } = bucket(100, 0, 1000);
    expect(b.reduce(250)).toEqual({ kind: "over-consumption", ratio: 1.5 });
    expect(b.budget).toBe(0);
  });

  it("msUntil predicts when a request fits", () => {
    const { b, clock } = bucket(1000, 0, 1000);
    b.reduce(1000);
    expect(b.msUntil(100)).toBe(100);
    clock.advance(40);
    expect(b.msUntil(100)).toBe(60);
    clock.advance(60);
    expect(b.msUntil(100)).toBe(0);
    expect(b.reduce(100).kind).toBe("success");
    expect(b.msUntil(5000)).toBe(0); // larger than size: let through as over-consumption
  });
});

describe("RateLimiter (ops + bytes, one timer)", () => {
  it("a failed consume blocks every bucket for 100 ms", () => {
    const clock = new ManualClock();
    const rl = new RateLimiter(
      { ops: { size: 1, refillTimeMs: 1000 }, bandwidth: { size: 1000, refillTimeMs: 1000 } },
      clock,
    );
    expect(rl.consume(1, "ops")).toBe(true);
    expect(rl.consume(1, "ops")).toBe(false);
    expect(rl.isBlocked()).toBe(true);
    expect(rl.timerDeadline).toBe(100);
    expect(rl.consume(1, "bytes")).toBe(false); // blocked, although bytes has budget
    clock.advance(99);
    expect(rl.poll()).toBe(false);
    clock.advance(1);
    expect(rl.poll()).toBe(true);
    expect(rl.isBlocked()).toBe(false);
    expect(rl.consume(10, "bytes")).toBe(true);
  });

  it("over-consumption arms the timer for ratio * refill_time", () => {
    const clock = new ManualClock();
    const rl = new RateLimiter({ bandwidth: { size: 100, refillTimeMs: 1000 } }, clock);
    expect(rl.consume(300, "bytes")).toBe(true);
    expect(rl.timerDeadline).toBe(2000);
  });

  it("manual replenish returns tokens; unconfigured buckets never limit", () => {
    const clock = new ManualClock();
    const rl = new RateLimiter({ ops: { size: 2, refillTimeMs: 1000 } }, clock);
    rl.consume(2, "ops");
    rl.manualReplenish(1, "ops");
    expect(rl.opsBucket!.budget).toBe(1);
    expect(rl.consume(1 << 30, "bytes")).toBe(true);
    expect(RateLimiter.unlimited(clock).consume(1e9, "ops")).toBe(true);
  });

  it("a spurious timer event is a typed error", () => {
    const rl = RateLimiter.unlimited(new ManualClock());
    try {
      rl.eventHandler();
      expect.unreachable();
    } catch (e) {
      expect((e as DeviceConfigError).code).toBe("SPURIOUS_TIMER");
    }
  });
});

describe("QEMU max-bytes/period quota", () => {
  it("arms the period on first use and refills when it fires", () => {
    const clock = new ManualClock();
    const q = new QemuRngQuota({ maxBytes: 100, periodMs: 1000 }, clock);
    expect(q.beginProcess()).toBe(100);
    expect(q.timerDeadline).toBe(1000);
    q.spend(128);
    expect(q.beginProcess()).toBe(0);
    clock.advance(1000);
    expect(q.poll()).toBe(true);
    expect(q.quotaRemaining).toBe(100);
    expect(() => new QemuRngQuota({ periodMs: 0 }, clock)).toThrow(DeviceConfigError);
  });
});
