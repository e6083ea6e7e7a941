import { type Crng, CrngError } from "@vmrng/crng";
import type { GenerationCheck } from "@vmrng/devices";
import type { GuestAccounting } from "./accounting.js";
import { errText } from "./args.js";
import type { KernelConsole } from "./console.js";
import { GuestSyscallError } from "./errors.js";
import type { GenerationCounterChannel } from "./gencounter.js";
import type { VmforkNotice } from "./vmfork.js";

export interface OutputGateDeps {
  crng(): Crng;
  counter(): GenerationCounterChannel | null;
  /** The bytes that make a new generation unique (the new vmgenid), if any. */
  uniqueBytes(): Promise<Uint8Array>;
  /** Enter the kernel at the current virtual time. */
  inKernel<T>(fn: () => T): T;
  console: KernelConsole;
  accounting: GuestAccounting;
  vmfork(n: VmforkNotice): void;
  now(): number;
  /** Rejects when the kernel panics, so nobody waits forever. */
  death: Promise<never>;
  /** Throws if the kernel can no longer run code. */
  assertAlive(): void;
}

const BLOCKED = Symbol("blocked");
const RETRY = Symbol("retry");

/**
 * Every userspace output path goes through here: the generation-counter check first (counter
 * mode: add_vmfork_randomness() before any byte of a new generation), then the read at the
 * current virtual time. A read that would block waits for READY (being blocked is what drives
 * try_to_generate_entropy()) and starts over, check included.
 */
export class OutputGate {
  constructor(private readonly d: OutputGateDeps) {}

  async read(read: () => Uint8Array): Promise<Uint8Array> {
    for (;;) {
      await this.check();
      const r = this.d.inKernel((): Uint8Array | typeof BLOCKED | typeof RETRY => {
        this.d.assertAlive();
        // Other code may have run since the check: never output across a counter bump.
        if (this.counterMoved()) return RETRY;
        try {
          return read();
        } catch (e) {
          if (e instanceof CrngError) {
            if (e.code === "WOULD_BLOCK") return BLOCKED;
            if (e.code === "EAGAIN" || e.code === "EINVAL") {
              throw new GuestSyscallError(e.code, e.message);
            }
          }
          throw e;
        }
      });
      if (r === RETRY) continue;
      if (r === BLOCKED) {
        const ready = this.d.inKernel(() => this.d.crng().waitForReady());
        await Promise.race([ready, this.d.death]);
        continue;
      }
      return r;
    }
  }

  /** Counter mode: read vm_generation_counter; if it moved, add_vmfork_randomness() first. */
  async check(): Promise<void> {
    const ch = this.d.counter();
    if (!ch) return;
    let r: GenerationCheck;
    try {
      r = await ch.check(
        () => this.d.uniqueBytes(),
        (fn) => this.d.inKernel(fn),
      );
    } catch (e) {
      this.d.inKernel(() => {
        this.d.accounting.add("counter", { errors: 1 });
        this.d.console.driverError("counter", `generation counter unreadable: ${errText(e)}`);
      });
      throw new GuestSyscallError("EIO", "generation counter unreadable: refusing to output");
    }
    this.d.accounting.add("counter", { requests: 1, bytes: 8 });
    if (r.changed) {
      this.d.inKernel(() =>
        this.d.vmfork({
          at: this.d.now(),
          source: "counter",
          previous: r.previous,
          counter: r.counter,
        }),
      );
    }
  }

  private counterMoved(): boolean {
    const ch = this.d.counter();
    if (!ch) return false;
    try {
      return ch.read() !== ch.counter;
    } catch {
      return true;
    }
  }
}
