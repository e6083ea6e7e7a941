/**
 * Per-channel, per-guest counters every device side keeps, in one shape so the hypervisor can
 * publish them uniformly (events, dashboard) without knowing which channel it is.
 */
export type ChannelName =
  | "setup_data"
  | "virtio-rng"
  | "rng-msr"
  | "vmgenid"
  | "vmgenctr"
  | "rdrand";

export interface ChannelAccounting {
  channel: ChannelName;
  /** Requests served (virtio descriptors used, rdmsr reads, seeds placed, ids published). */
  requests: number;
  /** Random bytes handed to the guest. */
  bytes: number;
  /** Requests held back by a rate limit and served later (virtio-rng). */
  deferred: number;
  /** Requests refused (queue full, bad descriptor, #GP). */
  rejected: number;
  /** Guest-to-host offers (wrmsr) or other inbound writes. */
  writes: number;
  /** Failures while serving (descriptor unusable, backend failure). */
  errors: number;
  /** Virtual ms of the last served request, or null before the first. */
  lastAtMs: number | null;
}

/** Mutable counters behind a ChannelAccounting snapshot. */
export class ChannelCounters {
  private readonly c: ChannelAccounting;

  constructor(channel: ChannelName) {
    this.c = {
      channel,
      requests: 0,
      bytes: 0,
      deferred: 0,
      rejected: 0,
      writes: 0,
      errors: 0,
      lastAtMs: null,
    };
  }

  served(bytes: number, atMs: number): void {
    this.c.requests += 1;
    this.c.bytes += bytes;
    this.c.lastAtMs = atMs;
  }

  deferred(): void {
    this.c.deferred += 1;
  }

  rejected(): void {
    this.c.rejected += 1;
  }

  wrote(): void {
    this.c.writes += 1;
  }

  failed(): void {
    this.c.errors += 1;
  }

  snapshot(): ChannelAccounting {
    return { ...this.c };
  }
}
