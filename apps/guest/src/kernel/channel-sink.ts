import type { Crng } from "@vmrng/crng";
import type { EntropySink } from "@vmrng/devices";
import type { GuestAccounting, GuestChannel } from "./accounting.js";
import type { ReadinessSource, ReadinessTracker } from "./readiness.js";

export interface ChannelSinkOptions {
  channel: GuestChannel;
  /** The readiness label of this entry point (null: it never credits). */
  source: ReadinessSource | null;
  /**
   * Untrusted input (anything from the hypervisor in a CoCo guest, an untrusted MSR): mixed,
   * never credited. add_bootloader_randomness becomes add_device_randomness and
   * add_hwgenerator_randomness is called with 0 bits (so the hwrng kthread still sleeps its
   * reseed interval instead of spinning: `if (!entropy) schedule_timeout(...)`).
   */
  untrusted: boolean;
  /** Enter the kernel (catch up with time, queue re-entrant deliveries) around each call. */
  run: <T>(fn: () => T) => T;
}

/**
 * The EntropySink a device driver gets: the guest CRNG, plus per-channel accounting of what
 * was actually credited (the change in input_pool.init_bits), the readiness label of the
 * entry point, and the CoCo/trust policy.
 */
export class ChannelSink implements EntropySink {
  /** While true every call is dropped (a restored driver replaying its probe). */
  muted = false;

  constructor(
    private readonly crng: Crng,
    private readonly readiness: ReadinessTracker,
    private readonly accounting: GuestAccounting,
    private readonly opts: ChannelSinkOptions,
  ) {}

  private credited<T>(fn: () => T): T {
    return this.opts.run(() => {
      const before = this.crng.entropyAvail;
      const r = this.readiness.as(this.opts.source, fn);
      const gained = this.crng.entropyAvail - before;
      if (gained > 0) this.accounting.add(this.opts.channel, { creditedBits: gained });
      return r;
    });
  }

  addBootloaderRandomness(buf: Uint8Array): void {
    if (this.muted) return;
    this.credited(() =>
      this.opts.untrusted
        ? this.crng.addDeviceRandomness(buf)
        : this.crng.addBootloaderRandomness(buf),
    );
  }

  addDeviceRandomness(buf: Uint8Array): void {
    if (this.muted) return;
    this.credited(() => this.crng.addDeviceRandomness(buf));
  }

  addHwgeneratorRandomness(buf: Uint8Array, entropyBits: number, sleepAfter: boolean): number {
    if (this.muted) return 0;
    const bits = this.opts.untrusted ? 0 : entropyBits;
    return this.credited(() => this.crng.addHwgeneratorRandomness(buf, bits, sleepAfter));
  }

  addVmforkRandomness(id: Uint8Array): void {
    if (this.muted) return;
    this.credited(() => this.crng.addVmforkRandomness(id));
  }
}
