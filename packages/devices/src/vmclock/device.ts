import type { Clock } from "@vmrng/crng";
import { type ChannelAccounting, ChannelCounters } from "../accounting.js";
import { DevicesError } from "../errors.js";
import { encodeVmClockPage, VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT } from "./abi.js";

/**
 * The hypervisor side of a VMClock-style page exposing vm_generation_counter. The hypervisor
 * updates it under the seq_count protocol (odd while writing) before the guest resumes from a
 * restore or a clone, so a guest that reads it before every output never runs ahead of it.
 */
export class VmClockDevice {
  private seq = 0;
  private counter: bigint;
  private marker: bigint;
  private readonly counters = new ChannelCounters("vmgenctr");

  constructor(
    private readonly clock: Clock,
    initialCounter = 1n,
  ) {
    this.counter = initialCounter;
    this.marker = initialCounter;
  }

  /** seq_count++ to odd: an update is in progress (readers must retry). */
  beginUpdate(): void {
    if (this.seq % 2 === 1)
      throw new DevicesError("UPDATE_IN_PROGRESS", "vmclock update already open");
    this.seq = (this.seq + 1) >>> 0;
  }

  /** Restore/clone: a new, never-repeating generation (and disruption marker). */
  endUpdate(): void {
    if (this.seq % 2 === 0) throw new DevicesError("NO_UPDATE", "vmclock update not open");
    this.counter += 1n;
    this.marker += 1n;
    this.seq = (this.seq + 1) >>> 0;
    this.counters.served(8, this.clock.now());
  }

  /** One complete update: what the hypervisor does on restore or clone. */
  bump(): bigint {
    this.beginUpdate();
    this.endUpdate();
    return this.counter;
  }

  get generationCounter(): bigint {
    return this.counter;
  }

  /** The page as the guest maps it (a fresh copy every call). */
  page(): Uint8Array {
    return encodeVmClockPage({
      seqCount: this.seq,
      disruptionMarker: this.marker,
      flags: VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT,
      vmGenerationCounter: this.counter,
    });
  }

  accounting(): ChannelAccounting {
    return this.counters.snapshot();
  }
}
