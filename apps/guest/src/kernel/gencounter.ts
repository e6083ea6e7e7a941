import {
  type EntropySink,
  type GenerationCheck,
  GenerationCounterDriver,
  u64le,
  VMCLOCK_ABI_SIZE,
  VMCLOCK_OFF_VM_GENERATION_COUNTER,
} from "@vmrng/devices";

/**
 * The polled generation counter (vmgenid mode "counter"): a VMClock page (struct vmclock_abi,
 * include/uapi/linux/vmclock-abi.h) that the hypervisor rewrites before a restored or cloned
 * guest runs again; the guest reads vm_generation_counter under the seq_count protocol before
 * EVERY output and calls add_vmfork_randomness() the moment it changed, so no output is ever
 * produced from the pre-fork state.
 *
 * The page is shared memory: the hypervisor pushes its bytes (GuestKernel.onVmclockPage) and
 * the guest reads its local copy synchronously. What is mixed on a change is the counter plus
 * the vmgenid bytes the hypervisor wrote for this generation (fetched once per change), so two
 * clones of one parent, which see the same counter, still diverge.
 */
export class GenerationCounterChannel {
  private page: Uint8Array;
  private readonly driver: GenerationCounterDriver;
  private extra: Uint8Array = new Uint8Array(0);
  private last: bigint | null = null;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(sink: EntropySink, initialPage: Uint8Array) {
    this.page = initialPage.slice();
    this.driver = new GenerationCounterDriver({
      sink,
      readPage: () => this.page,
      extraId: () => this.extra,
    });
  }

  /** Validate the page and record the boot generation (throws a DevicesError if unusable). */
  probe(): bigint {
    this.last = this.driver.probe();
    return this.last;
  }

  /** The hypervisor rewrote the page. */
  setPage(bytes: Uint8Array): void {
    this.page = bytes.slice();
  }

  /** The counter as last acted upon (null before probe). */
  get counter(): bigint | null {
    return this.last;
  }

  /** vm_generation_counter as the page says right now (seqlock read). */
  read(): bigint {
    return this.driver.readCounter();
  }

  /**
   * The check before an output. Fast path: unchanged, nothing awaited. On a change the bytes
   * that make this generation unique are fetched first (`uniqueBytes`, e.g. the new vmgenid),
   * then add_vmfork_randomness() runs via `run` before any caller gets to produce output.
   * Concurrent checks share one fetch; only the first to run the driver mixes.
   */
  async check(
    uniqueBytes: () => Promise<Uint8Array>,
    run: <T>(fn: () => T) => T,
  ): Promise<GenerationCheck> {
    const now = this.read();
    if (now === this.last) return { changed: false, counter: now };
    const p = this.pending.then(async () => {
      if (this.read() === this.last) return { changed: false as const, counter: this.last! };
      const unique = await uniqueBytes();
      return run(() => {
        this.extra = unique;
        const r = this.driver.beforeOutput();
        this.last = r.counter;
        return r;
      });
    });
    this.pending = p.catch(() => undefined);
    return p;
  }

  /**
   * After a restore: the driver resumes at the counter the parent last acted on, whatever the
   * page says now (so the first output of a clone sees the bump).
   */
  restoreCounter(counter: bigint, page: Uint8Array): void {
    const livePage = page.slice();
    this.page = restoredPage(livePage, counter);
    this.last = this.driver.probe();
    this.page = livePage;
  }
}

/** The page with vm_generation_counter replaced: what the parent had seen. */
function restoredPage(page: Uint8Array, counter: bigint): Uint8Array {
  const p = page.slice();
  if (p.length >= VMCLOCK_ABI_SIZE) p.set(u64le(counter), VMCLOCK_OFF_VM_GENERATION_COUNTER);
  return p;
}
