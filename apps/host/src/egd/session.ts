import type { Clock } from "@vmrng/crng";
import { type RateLimiter, REFILL_TIMER_INTERVAL_MS } from "@vmrng/devices";
import type { EgdClientAccount } from "./accounting.js";
import type { EgdClientGenerator } from "./client-generator.js";
import { EgdError } from "./errors.js";
import { EgdRequestParser } from "./parser.js";
import type { EgdEntropyPool } from "./pool.js";
import type { EgdRequest } from "./protocol.js";
import { entropyLevelReply, nonBlockingReply, pidReply } from "./replies.js";

export interface EgdSessionOptions {
  pool: EgdEntropyPool;
  generator: EgdClientGenerator;
  /** This client's Firecracker RateLimiter: `ops` per request, `bytes` per byte served. */
  limiter: RateLimiter;
  account: EgdClientAccount;
  /** What 0x04 answers: the host's pid. */
  pid: number;
  clock: Clock;
}

/** What the connection does next for this client. */
export type EgdStep =
  /** Write these bytes (possibly none: a 0-byte read), then step again. */
  | { kind: "reply"; bytes: Uint8Array }
  /** A request without a reply (0x03) was handled; step again. */
  | { kind: "handled" }
  /** Every byte received so far is handled; wait for more input. */
  | { kind: "idle" }
  /** The rate limiter holds the next request: step again after `ms`. */
  | { kind: "wait"; ms: number }
  /** Bad input: close the connection. */
  | { kind: "error"; error: EgdError };

/**
 * One client's EGD conversation, without I/O: bytes go in with `receive()`, and each `step()`
 * handles at most one request, in order, and says what to write. A request the rate limiter
 * refuses stays at the head (later requests wait behind it, as on the wire they must), except
 * a non-blocking read, which is answered at once with count 0.
 */
export class EgdSession {
  private readonly parser = new EgdRequestParser();
  private held: EgdRequest | null = null;

  constructor(private readonly o: EgdSessionOptions) {}

  receive(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  step(): EgdStep {
    let req = this.held;
    if (req === null) {
      try {
        req = this.parser.next() ?? null;
      } catch (err) {
        if (err instanceof EgdError) return { kind: "error", error: err };
        throw err;
      }
      if (req === null) return { kind: "idle" };
      this.o.account.request();
    }
    this.o.limiter.poll();
    switch (req.kind) {
      case "read-nonblocking": {
        this.held = null;
        const bytes = this.admit(req.n) ? this.generate(req.n) : new Uint8Array(0);
        return { kind: "reply", bytes: nonBlockingReply(bytes) };
      }
      case "read-blocking":
        if (!this.admit(req.n)) return this.hold(req);
        this.held = null;
        return { kind: "reply", bytes: this.generate(req.n) };
      case "write":
        if (!this.admit(0)) return this.hold(req);
        this.held = null;
        this.o.pool.mix(req.data);
        this.o.account.mixed(req.data.length);
        return { kind: "handled" };
      case "level":
        if (!this.admit(0)) return this.hold(req);
        this.held = null;
        return { kind: "reply", bytes: entropyLevelReply(this.levelBits()) };
      case "pid":
        if (!this.admit(0)) return this.hold(req);
        this.held = null;
        return { kind: "reply", bytes: pidReply(this.o.pid) };
    }
  }

  /** Off the hot path (replies written, client busy): top up this client's keystream. */
  prefill(): void {
    this.o.generator.prefill();
  }

  /** True while a request has started and not all of its bytes have arrived. */
  get midRequest(): boolean {
    return this.parser.midRequest;
  }

  describePartial(): string {
    return this.parser.describePartial();
  }

  /** Received bytes not parsed yet (bounded: the connection stops reading while any remain). */
  get bufferedBytes(): number {
    return this.parser.bufferedBytes;
  }

  /**
   * One op per request and `n` bytes, as Firecracker's virtio-rng charges a request
   * (src/vmm/src/devices/virtio/rng/device.rs, Entropy::rate_limit_request: the ops token goes
   * back when the bytes bucket refuses).
   */
  private admit(n: number): boolean {
    const l = this.o.limiter;
    if (!l.consume(1, "ops")) return false;
    if (n > 0 && !l.consume(n, "bytes")) {
      l.manualReplenish(1, "ops");
      return false;
    }
    return true;
  }

  private hold(req: EgdRequest): EgdStep {
    if (this.held !== req) {
      this.held = req;
      this.o.account.throttle();
    }
    const deadline = this.o.limiter.timerDeadline;
    const ms = deadline === null ? REFILL_TIMER_INTERVAL_MS : deadline - this.o.clock.now();
    return { kind: "wait", ms: Math.max(1, Math.ceil(ms)) };
  }

  private generate(n: number): Uint8Array {
    const bytes = this.o.generator.generate(n);
    this.o.account.served(n);
    return bytes;
  }

  /**
   * 0x00 answers what the client could read now without waiting: everything (U32 max) without
   * a bytes bucket, else the tokens the bucket would grant now (refill included), as bits.
   */
  private levelBits(): number {
    const b = this.o.limiter.bytesBucket;
    if (b === null) return 0xffff_ffff;
    // The largest request that would not wait: msUntil() is 0 up to it and > 0 above it.
    let lo = 0;
    let hi = b.oneTimeBurst + b.capacity;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (b.msUntil(mid) === 0) lo = mid;
      else hi = mid - 1;
    }
    return lo * 8;
  }
}
