import type { ChannelAccounting } from "@vmrng/devices";

/** The entropy channels a guest receives input on. */
export type GuestChannel = "setup_data" | "virtio-rng" | "msr" | "vmgenid" | "counter" | "rdrand";

export const GUEST_CHANNELS: readonly GuestChannel[] = [
  "setup_data",
  "virtio-rng",
  "msr",
  "vmgenid",
  "counter",
  "rdrand",
];

/** What the guest received on one channel, seen from inside the guest. */
export interface GuestChannelStats {
  channel: GuestChannel;
  /** Inputs received: seeds, used buffers, RDMSR reads, id reads, counter reads, RDRAND/RDSEED. */
  requests: number;
  /** Bytes received. */
  bytes: number;
  /** Malformed answers, faults, failed executions, refused posts. */
  errors: number;
  /** Bits this channel actually added to input_pool.init_bits (what it did for readiness). */
  creditedBits: number;
}

type Counters = Omit<GuestChannelStats, "channel">;

export class GuestAccounting {
  private readonly c = new Map<GuestChannel, Counters>();

  constructor() {
    for (const ch of GUEST_CHANNELS) {
      this.c.set(ch, { requests: 0, bytes: 0, errors: 0, creditedBits: 0 });
    }
  }

  add(channel: GuestChannel, d: Partial<Counters>): void {
    const c = this.c.get(channel)!;
    c.requests += d.requests ?? 0;
    c.bytes += d.bytes ?? 0;
    c.errors += d.errors ?? 0;
    c.creditedBits += d.creditedBits ?? 0;
  }

  /**
   * Every channel; RDRAND/RDSEED executions come from the CPU model's own counters (one request
   * of 8 bytes per CF=1 execution, an error per CF=0), credit from random_init_early().
   */
  snapshot(rdrandUnits: readonly ChannelAccounting[]): GuestChannelStats[] {
    return GUEST_CHANNELS.map((channel) => {
      const c = { ...this.c.get(channel)! };
      if (channel === "rdrand") {
        for (const u of rdrandUnits) {
          c.requests += u.requests;
          c.bytes += u.bytes;
          c.errors += u.errors;
        }
      }
      return { channel, ...c };
    });
  }

  /** Plain data for a snapshot. */
  toJSON(): Record<GuestChannel, Counters> {
    return Object.fromEntries([...this.c].map(([k, v]) => [k, { ...v }])) as Record<
      GuestChannel,
      Counters
    >;
  }

  load(data: Record<string, Partial<Counters>>): void {
    for (const ch of GUEST_CHANNELS) {
      const d = data[ch];
      if (d) this.c.set(ch, { requests: 0, bytes: 0, errors: 0, creditedBits: 0, ...d });
    }
  }
}
