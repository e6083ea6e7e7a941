import type { Clock } from "@vmrng/crng";
import { DeviceConfigError } from "../errors.js";

const NS_PER_MS = 1_000_000n;

/** Outcome of TokenBucket.reduce() (Firecracker rate_limiter BucketReduction). */
export type BucketReduction =
  | { kind: "failure" }
  | { kind: "success" }
  /** More than `size` tokens were taken; `ratio` = excess / size (the caller must back off). */
  | { kind: "over-consumption"; ratio: number };

function gcd(x: bigint, y: bigint): bigint {
  let a = x;
  let b = y;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Math.min does not take bigints. */
function minBig(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

function u64Arg(name: string, v: number): bigint {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new DeviceConfigError("BAD_BUCKET", `${name} must be a non-negative integer, got ${v}`);
  }
  return BigInt(v);
}

/**
 * Firecracker's TokenBucket (src/vmm/src/rate_limiter/mod.rs), on a virtual clock:
 * capacity `size`, refilled linearly from empty to full in `refillTimeMs`, plus a one-time
 * burst that is spent first and never refills. The bucket starts full. Refill arithmetic is
 * the same integer arithmetic in nanoseconds (gcd-reduced fraction, fractional tokens carried
 * by advancing last_update only by the time the whole tokens took).
 */
export class TokenBucket {
  private readonly size: bigint;
  private readonly initialBurst: bigint;
  private readonly refillMs: bigint;
  private readonly capacityQ: bigint;
  private readonly refillQ: bigint;
  private burst: bigint;
  private budget_: bigint;
  private lastUpdate: bigint;

  /** TokenBucket::new(): size 0 or refill time 0 disables limiting, so there is no bucket. */
  static create(
    size: number,
    oneTimeBurst: number,
    refillTimeMs: number,
    clock: Clock,
  ): TokenBucket | null {
    const s = u64Arg("size", size);
    const b = u64Arg("one_time_burst", oneTimeBurst);
    const r = u64Arg("refill_time", refillTimeMs);
    if (s === 0n || r === 0n) return null;
    return new TokenBucket(s, b, r, clock);
  }

  private constructor(
    size: bigint,
    burst: bigint,
    refillMs: bigint,
    private readonly clock: Clock,
  ) {
    this.size = size;
    this.initialBurst = burst;
    this.burst = burst;
    this.refillMs = refillMs;
    const refillNs = refillMs * NS_PER_MS;
    const g = gcd(size, refillNs);
    this.capacityQ = size / g;
    this.refillQ = refillNs / g;
    this.budget_ = size;
    this.lastUpdate = this.nowNs();
  }

  private nowNs(): bigint {
    return BigInt(Math.floor(this.clock.now() * 1e6));
  }

  /** auto_replenish(): tokens earned since last_update, capped at size. */
  private autoReplenish(): void {
    const now = this.nowNs();
    const delta = now > this.lastUpdate ? now - this.lastUpdate : 0n;
    if (delta >= this.refillMs * NS_PER_MS) {
      this.budget_ = this.size;
      this.lastUpdate = now;
      return;
    }
    const tokens = (delta * this.capacityQ) / this.refillQ;
    // Advance by the time those whole tokens took, rounded up, carrying the fraction.
    let adjust = (tokens * this.refillQ) / this.capacityQ;
    if ((tokens * this.refillQ) % this.capacityQ !== 0n) adjust += 1n;
    this.lastUpdate += adjust;
    const b = this.budget_ + tokens;
    this.budget_ = minBig(b, this.size);
  }

  /** reduce(): spend burst first, then budget (refilling on demand). */
  reduce(tokens: number): BucketReduction {
    let t = u64Arg("tokens", tokens);
    if (this.burst > 0n) {
      if (this.burst >= t) {
        this.burst -= t;
        this.lastUpdate = this.nowNs();
        return { kind: "success" };
      }
      t -= this.burst;
      this.burst = 0n;
    }
    if (t > this.budget_) {
      this.autoReplenish();
      if (t > this.size) {
        t -= this.budget_;
        this.budget_ = 0n;
        return { kind: "over-consumption", ratio: Number(t) / Number(this.size) };
      }
      if (t > this.budget_) return { kind: "failure" };
    }
    this.budget_ -= t;
    return { kind: "success" };
  }

  /** force_replenish(): give tokens back (burst first while it lasts), capped. */
  forceReplenish(tokens: number): void {
    const t = u64Arg("tokens", tokens);
    if (this.burst > 0n) {
      const b = this.burst + t;
      this.burst = minBig(b, this.initialBurst);
      return;
    }
    const b = this.budget_ + t;
    this.budget_ = minBig(b, this.size);
  }

  /**
   * Virtual ms until reduce(tokens) would succeed from the current state (0 if it would now).
   * A request larger than `size` never waits: reduce() lets it through as over-consumption.
   */
  msUntil(tokens: number): number {
    const t = u64Arg("tokens", tokens);
    const avail = this.burst + this.budget_;
    if (t <= avail || t - this.burst > this.size) return 0;
    // Project the budget the way auto_replenish would, without mutating.
    const now = this.nowNs();
    const delta = now > this.lastUpdate ? now - this.lastUpdate : 0n;
    if (delta >= this.refillMs * NS_PER_MS) return 0;
    const need = t - this.burst; // burst is spent first
    const earnedFrac = delta * this.capacityQ; // in units of 1/refillQ tokens
    const haveFrac = this.budget_ * this.refillQ + earnedFrac;
    const needFrac = need * this.refillQ;
    if (haveFrac >= needFrac) return 0;
    const missingNs = (needFrac - haveFrac + this.capacityQ - 1n) / this.capacityQ;
    return Number(missingNs) / 1e6;
  }

  get capacity(): number {
    return Number(this.size);
  }

  get refillTimeMs(): number {
    return Number(this.refillMs);
  }

  get budget(): number {
    return Number(this.budget_);
  }

  get oneTimeBurst(): number {
    return Number(this.burst);
  }

  get initialOneTimeBurst(): number {
    return Number(this.initialBurst);
  }
}
