import type { Clock } from "@vmrng/crng";
import { DeviceConfigError } from "../errors.js";

/**
 * QEMU virtio-rng's `max-bytes` per `period` quota (hw/virtio/virtio-rng.c): quota_remaining
 * starts at max-bytes; the first virtio_rng_process() arms a one-shot timer `period` ms out;
 * when it fires (check_rate_limit) the quota refills, the queue is processed again, and the
 * next process re-arms the timer. Defaults: max-bytes INT64_MAX (unlimited in practice),
 * period 1 << 16 ms.
 */
export class QemuRngQuota {
  readonly maxBytes: number;
  readonly periodMs: number;
  private remaining: number;
  private activateTimer = true;
  private deadline: number | null = null;

  constructor(
    opts: { maxBytes?: number; periodMs?: number },
    private readonly clock: Clock,
  ) {
    this.maxBytes = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.periodMs = opts.periodMs ?? 1 << 16;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 0) {
      throw new DeviceConfigError("BAD_QUOTA", "'max-bytes' parameter must be non-negative");
    }
    if (!Number.isInteger(this.periodMs) || this.periodMs <= 0) {
      throw new DeviceConfigError("BAD_QUOTA", "'period' parameter expects a positive integer");
    }
    this.remaining = this.maxBytes;
  }

  /** Start of virtio_rng_process(): arm the period timer if due; returns the usable quota. */
  beginProcess(): number {
    if (this.activateTimer) {
      this.deadline = this.clock.now() + this.periodMs;
      this.activateTimer = false;
    }
    return Math.max(this.remaining, 0);
  }

  /** chr_read(): `quota_remaining -= size`. */
  spend(bytes: number): void {
    this.remaining -= bytes;
  }

  /** check_rate_limit() when the timer is due; true when it fired (caller then processes). */
  poll(): boolean {
    if (this.deadline === null || this.clock.now() < this.deadline) return false;
    this.deadline = null;
    this.remaining = this.maxBytes;
    return true;
  }

  /** Called after the post-refill process, as check_rate_limit() does last. */
  rearm(): void {
    this.activateTimer = true;
  }

  get quotaRemaining(): number {
    return this.remaining;
  }

  get timerDeadline(): number | null {
    return this.deadline;
  }
}
