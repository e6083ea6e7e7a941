import type { Clock } from "@vmrng/crng";
import { DeviceConfigError } from "../errors.js";
import { TokenBucket } from "./token-bucket.js";

/** REFILL_TIMER_INTERVAL_MS: how long a limiter blocks after a failed consume. */
export const REFILL_TIMER_INTERVAL_MS = 100;

export type TokenType = "bytes" | "ops";

export interface BucketConfig {
  size: number;
  oneTimeBurst?: number;
  refillTimeMs: number;
}

export interface RateLimiterConfig {
  bandwidth?: BucketConfig;
  ops?: BucketConfig;
}

/**
 * Firecracker's RateLimiter: an optional bytes bucket and an optional ops bucket behind one
 * timer. A failed consume arms the timer for 100 ms and every consume fails while it is armed
 * (is_blocked); an over-consumption succeeds but arms it for ratio * refill_time ms. The
 * process delivers the timer: it calls `poll()` once `timerDeadline` has passed.
 */
export class RateLimiter {
  private readonly bandwidth: TokenBucket | null;
  private readonly ops: TokenBucket | null;
  private deadline: number | null = null;

  constructor(
    config: RateLimiterConfig,
    private readonly clock: Clock,
  ) {
    this.bandwidth = config.bandwidth ? RateLimiter.bucket(config.bandwidth, clock) : null;
    this.ops = config.ops ? RateLimiter.bucket(config.ops, clock) : null;
  }

  private static bucket(c: BucketConfig, clock: Clock): TokenBucket | null {
    return TokenBucket.create(c.size, c.oneTimeBurst ?? 0, c.refillTimeMs, clock);
  }

  /** Default RateLimiter: no buckets, never blocks. */
  static unlimited(clock: Clock): RateLimiter {
    return new RateLimiter({}, clock);
  }

  private arm(ms: number): void {
    this.deadline = this.clock.now() + ms;
  }

  consume(tokens: number, type: TokenType): boolean {
    if (this.deadline !== null) return false;
    const bucket = type === "bytes" ? this.bandwidth : this.ops;
    if (!bucket) return true;
    const r = bucket.reduce(tokens);
    switch (r.kind) {
      case "failure":
        this.arm(REFILL_TIMER_INTERVAL_MS);
        return false;
      case "success":
        return true;
      case "over-consumption":
        this.arm(Math.floor(r.ratio * bucket.refillTimeMs));
        return true;
    }
  }

  manualReplenish(tokens: number, type: TokenType): void {
    const bucket = type === "bytes" ? this.bandwidth : this.ops;
    bucket?.forceReplenish(tokens);
  }

  isBlocked(): boolean {
    return this.deadline !== null;
  }

  /** Virtual time at which the limiter's timer fires, or null when not armed. */
  get timerDeadline(): number | null {
    return this.deadline;
  }

  /** event_handler(): the timer fired. Errors when no timer was armed (spurious event). */
  eventHandler(): void {
    if (this.deadline === null) {
      throw new DeviceConfigError(
        "SPURIOUS_TIMER",
        "Rate limiter event handler called without a present timer",
      );
    }
    this.deadline = null;
  }

  /** Delivers the timer if it is due; true when it fired. */
  poll(): boolean {
    if (this.deadline === null || this.clock.now() < this.deadline) return false;
    this.deadline = null;
    return true;
  }

  get bytesBucket(): TokenBucket | null {
    return this.bandwidth;
  }

  get opsBucket(): TokenBucket | null {
    return this.ops;
  }
}
