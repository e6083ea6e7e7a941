import { u64le } from "../bytes.js";
import { DevicesError } from "../errors.js";
import type { EntropySink } from "../sink.js";
import {
  decodeVmClockPage,
  VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT,
  VMCLOCK_MAGIC,
  VMCLOCK_VERSION,
} from "./abi.js";

export interface GenerationCounterDriverOptions {
  sink: EntropySink;
  /** Reads the mapped vmclock page (the hypervisor's current bytes). */
  readPage: () => Uint8Array;
  /**
   * Extra bytes mixed with the counter on a change, e.g. the vmgenid bytes already in guest
   * memory: the counter says *that* the VM forked, unique bytes make clones diverge.
   */
  extraId?: () => Uint8Array;
  /** seq_count retries before giving up on a torn read. */
  maxRetries?: number;
}

export type GenerationCheck =
  | { changed: false; counter: bigint }
  | { changed: true; counter: bigint; previous: bigint };

/**
 * Guest side of the polled generation counter: read vm_generation_counter under the seq_count
 * protocol (as ptp_vmclock.c reads the page: retry while odd or changed) before every CRNG
 * output, and call add_vmfork_randomness() the moment it differs from the last value seen.
 * Unlike the vmgenid ACPI notify there is no window in which the guest runs unaware.
 */
export class GenerationCounterDriver {
  private last: bigint | null = null;
  private readonly maxRetries: number;

  constructor(private readonly opts: GenerationCounterDriverOptions) {
    this.maxRetries = opts.maxRetries ?? 100;
  }

  /** Validates the page and records the starting counter (no vmfork at boot). */
  probe(): bigint {
    const h = decodeVmClockPage(this.opts.readPage());
    if (!h || h.magic !== VMCLOCK_MAGIC || h.version !== VMCLOCK_VERSION) {
      throw new DevicesError("BAD_VMCLOCK", "no vmclock_abi page (bad magic or version)");
    }
    if ((h.flags & VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT) === 0n) {
      throw new DevicesError("NO_GEN_COUNTER", "VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT not set");
    }
    this.last = this.readCounter();
    return this.last;
  }

  /** A consistent read of vm_generation_counter (seqlock). */
  readCounter(): bigint {
    for (let i = 0; i < this.maxRetries; i++) {
      const a = decodeVmClockPage(this.opts.readPage());
      if (!a || a.magic !== VMCLOCK_MAGIC) throw new DevicesError("BAD_VMCLOCK", "page vanished");
      if (a.seqCount % 2 === 1) continue;
      const b = decodeVmClockPage(this.opts.readPage());
      if (b && b.seqCount === a.seqCount) return a.vmGenerationCounter;
    }
    throw new DevicesError("VMCLOCK_BUSY", `seq_count unstable after ${this.maxRetries} reads`);
  }

  /** Call before producing any random output. */
  beforeOutput(): GenerationCheck {
    if (this.last === null) throw new DevicesError("NOT_PROBED", "probe() the vmclock first");
    const counter = this.readCounter();
    if (counter === this.last) return { changed: false, counter };
    const previous = this.last;
    this.last = counter;
    const extra = this.opts.extraId?.() ?? new Uint8Array(0);
    const id = new Uint8Array(8 + extra.length);
    id.set(u64le(counter));
    id.set(extra, 8);
    this.opts.sink.addVmforkRandomness(id);
    return { changed: true, counter, previous };
  }
}
