import type { Clock } from "@vmrng/crng";
import { type ChannelAccounting, ChannelCounters } from "../accounting.js";
import type { ByteSource } from "../drbg/chacha-drbg.js";
import { DeviceConfigError, VirtioRngError } from "../errors.js";
import { QemuRngQuota } from "../ratelimit/qemu-quota.js";
import { RateLimiter } from "../ratelimit/rate-limiter.js";

/** Queue sizes: QEMU virtio_add_queue(vdev, 8, ...); Firecracker RNG_QUEUE_SIZE = 256. */
export const QEMU_RNG_QUEUE_SIZE = 8;
export const FIRECRACKER_RNG_QUEUE_SIZE = 256;

/** A buffer the driver made available: descriptor head `id`, `len` bytes, device-writable? */
export interface VirtioRngDescriptor {
  id: number;
  len: number;
  writable?: boolean;
}

/** A used-ring entry: the head id and the bytes written (used.len = bytes.length). */
export interface UsedBuffer {
  id: number;
  bytes: Uint8Array;
  /** Virtual ms between make-available and use (rate-limit deferral shows up here). */
  waitedMs: number;
}

export interface VirtioRngDeviceOptions {
  clock: Clock;
  /** Where the entropy comes from: a per-guest ChaChaDrbg in the hypervisor. */
  source: ByteSource;
  /** Whose semantics to follow for limiting and queue size. Default "firecracker". */
  flavor?: "firecracker" | "qemu";
  queueSize?: number;
  /** Firecracker flavour: ops + bytes token buckets (default unlimited). */
  rateLimiter?: RateLimiter;
  /** QEMU flavour: max-bytes per period. */
  qemuQuota?: { maxBytes?: number; periodMs?: number };
  /** Largest descriptor accepted; a bigger one is refused rather than allocated. */
  maxDescriptorBytes?: number;
}

interface Pending extends Required<VirtioRngDescriptor> {
  postedAt: number;
}

/**
 * The hypervisor side of one guest's virtio entropy device. Descriptors the guest makes
 * available sit in the avail ring (at most `queueSize`, the ring's capacity) until kick()
 * or a rate-limit timer processes them; each used buffer is filled from `source`.
 *
 * Firecracker semantics (devices/virtio/rng/device.rs process_entropy_queue): per descriptor,
 * consume 1 op then len bytes; if either fails the descriptor is put back (undo_pop) and
 * processing stops until the limiter's timer fires; a read-only descriptor is used with 0
 * bytes. QEMU semantics (hw/virtio/virtio-rng.c): request min(avail bytes, quota) from the
 * backend and spread it over descriptors in order, the last one possibly short.
 */
export class VirtioRngDevice {
  readonly queueSize: number;
  readonly flavor: "firecracker" | "qemu";
  private readonly clock: Clock;
  private readonly source: ByteSource;
  private readonly limiter: RateLimiter;
  private readonly quota: QemuRngQuota | null;
  private readonly maxDesc: number;
  private avail: Pending[] = [];
  private readonly counters = new ChannelCounters("virtio-rng");

  constructor(opts: VirtioRngDeviceOptions) {
    this.flavor = opts.flavor ?? "firecracker";
    this.queueSize =
      opts.queueSize ?? (this.flavor === "qemu" ? QEMU_RNG_QUEUE_SIZE : FIRECRACKER_RNG_QUEUE_SIZE);
    // virtio 1.x split rings: queue size is a power of 2, at most 32768.
    if (
      !Number.isInteger(this.queueSize) ||
      this.queueSize < 1 ||
      this.queueSize > 32768 ||
      (this.queueSize & (this.queueSize - 1)) !== 0
    ) {
      throw new DeviceConfigError("BAD_QUEUE_SIZE", `queue size ${this.queueSize}`);
    }
    if (this.flavor === "qemu" && opts.rateLimiter) {
      throw new DeviceConfigError(
        "BAD_LIMITER",
        "QEMU virtio-rng limits with max-bytes/period, not token buckets",
      );
    }
    if (this.flavor === "firecracker" && opts.qemuQuota) {
      throw new DeviceConfigError(
        "BAD_LIMITER",
        "Firecracker's entropy device limits with token buckets",
      );
    }
    this.clock = opts.clock;
    this.source = opts.source;
    this.limiter = opts.rateLimiter ?? RateLimiter.unlimited(opts.clock);
    this.quota = this.flavor === "qemu" ? new QemuRngQuota(opts.qemuQuota ?? {}, opts.clock) : null;
    this.maxDesc = opts.maxDescriptorBytes ?? 1 << 20;
  }

  /**
   * The guest adds a buffer to the avail ring. A full ring, a head outside the ring, a head
   * already in flight or an oversized buffer is refused with a VirtioRngError (the guest
   * broke the ring rules; a real device would see a corrupt ring).
   */
  post(desc: VirtioRngDescriptor): void {
    const reject = (code: string, msg: string): never => {
      this.counters.rejected();
      throw new VirtioRngError(code, msg);
    };
    if (this.avail.length >= this.queueSize) {
      reject("QUEUE_FULL", `available ring full (${this.queueSize} descriptors in flight)`);
    }
    if (!Number.isInteger(desc.id) || desc.id < 0 || desc.id >= this.queueSize) {
      reject("BAD_DESCRIPTOR", `descriptor head ${desc.id} outside ring of ${this.queueSize}`);
    }
    if (this.avail.some((p) => p.id === desc.id)) {
      reject("DESCRIPTOR_IN_USE", `descriptor head ${desc.id} is already available`);
    }
    if (!Number.isInteger(desc.len) || desc.len < 0 || desc.len > this.maxDesc) {
      reject("TOO_LARGE", `descriptor of ${desc.len} bytes (max ${this.maxDesc})`);
    }
    this.avail.push({
      id: desc.id,
      len: desc.len,
      writable: desc.writable ?? true,
      postedAt: this.clock.now(),
    });
  }

  /** The guest's queue notification: process what the limiter allows now. */
  kick(): UsedBuffer[] {
    if (this.flavor === "qemu") return this.processQemu();
    // process_entropy_queue_event(): nothing happens while the limiter is blocked.
    if (this.limiter.isBlocked()) return [];
    return this.processFirecracker();
  }

  /** Timer delivery: when the limiter (or QEMU quota) timer is due, process again. */
  poll(): UsedBuffer[] {
    if (this.flavor === "qemu") {
      if (!this.quota!.poll()) return [];
      const used = this.processQemu();
      this.quota!.rearm();
      return used;
    }
    if (!this.limiter.poll()) return [];
    return this.processFirecracker();
  }

  /** When the process should call poll() next, or null when no timer is armed. */
  nextWakeAt(): number | null {
    return this.flavor === "qemu" ? this.quota!.timerDeadline : this.limiter.timerDeadline;
  }

  /** Descriptors waiting in the avail ring. */
  get pending(): number {
    return this.avail.length;
  }

  /** Virtio device reset: every in-flight buffer is forgotten. */
  reset(): void {
    this.avail = [];
  }

  accounting(): ChannelAccounting {
    return this.counters.snapshot();
  }

  private use(p: Pending, bytes: Uint8Array): UsedBuffer {
    const now = this.clock.now();
    this.counters.served(bytes.length, now);
    return { id: p.id, bytes, waitedMs: now - p.postedAt };
  }

  private processFirecracker(): UsedBuffer[] {
    const used: UsedBuffer[] = [];
    while (this.avail.length > 0) {
      const p = this.avail[0]!;
      if (!p.writable) {
        // IoVecBufferMut::from_descriptor_chain fails: used with 0 bytes, event_fails++.
        this.avail.shift();
        this.counters.failed();
        used.push(this.use(p, new Uint8Array(0)));
        continue;
      }
      if (!this.limiter.consume(1, "ops")) {
        this.counters.deferred();
        break;
      }
      if (!this.limiter.consume(p.len, "bytes")) {
        this.limiter.manualReplenish(1, "ops");
        this.counters.deferred();
        break;
      }
      this.avail.shift();
      used.push(this.use(p, p.len === 0 ? new Uint8Array(0) : this.source.generate(p.len)));
    }
    return used;
  }

  private processQemu(): UsedBuffer[] {
    const used: UsedBuffer[] = [];
    // virtio_rng_process() -> chr_read() -> virtio_rng_process() while the queue is not empty.
    for (;;) {
      if (this.avail.length === 0) break;
      const quota = this.quota!.beginProcess();
      let inBytes = 0;
      for (const p of this.avail) {
        if (p.writable) inBytes += p.len;
        if (inBytes >= quota) break;
      }
      const size = Math.min(inBytes, this.quota!.quotaRemaining);
      if (size <= 0) {
        if (this.quota!.quotaRemaining <= 0) this.counters.deferred();
        break;
      }
      const buf = this.source.generate(size);
      this.quota!.spend(size);
      let offset = 0;
      while (offset < size && this.avail.length > 0) {
        const p = this.avail.shift()!;
        const n = p.writable ? Math.min(p.len, size - offset) : 0;
        used.push(this.use(p, buf.slice(offset, offset + n)));
        offset += n;
      }
      buf.fill(0);
    }
    return used;
  }
}
