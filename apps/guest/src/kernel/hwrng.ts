import type { VirtioRngDriver, VirtioRngDriverAction, VirtioRngDriverEvent } from "@vmrng/devices";
import type { TimedSource } from "./timeline.js";
import type { VirtioDescriptor } from "./transport.js";

export interface HwrngHooks {
  /** Hand a posted buffer to the transport. */
  post(desc: VirtioDescriptor): void;
  /** A driver event (credit, early read, empty read, driver error). */
  event(e: VirtioRngDriverEvent): void;
  /** Run driver code as the "virtio-rng" entry point (for readiness attribution). */
  asVirtio<T>(fn: () => T): T;
}

/**
 * The hw_random side of virtio-rng: drives the devices VirtioRngDriver (virtio-rng.c + the
 * hwrng_fillfn kthread) against the transport. Posting buffers, receiving used buffers and the
 * kthread's sleeps (add_hwgenerator_randomness()'s reseed interval, or 10 s after an empty
 * read) all happen here, at their virtual times.
 */
export class HwrngRunner implements TimedSource {
  readonly name = "hwrng";
  private state: VirtioRngDriverAction = { kind: "idle" };

  constructor(
    readonly driver: VirtioRngDriver,
    private readonly hooks: HwrngHooks,
  ) {}

  /** probe_common() then virtrng_scan() -> hwrng_register() with its early read. */
  probeAndRegister(): void {
    this.hooks.asVirtio(() => {
      this.driver.probe();
      this.pumpInner();
      this.driver.register();
      this.pumpInner();
    });
  }

  /** random_recv_done(): a used buffer came back. */
  used(id: number, bytes: Uint8Array): void {
    this.hooks.asVirtio(() => {
      this.driver.onUsed(id, bytes);
      this.pumpInner();
    });
  }

  /**
   * The device end came back (the hypervisor reconnected): make the in-flight buffer available
   * again, as vhost-user resubmits inflight descriptors after a backend reconnect.
   */
  resubmit(): void {
    this.hooks.asVirtio(() => {
      const b = this.driver.inflight();
      if (b) this.hooks.post(b);
      this.pumpInner();
    });
  }

  /** Let the kthread run as far as it can, sending any buffer it posts. */
  pump(): void {
    this.hooks.asVirtio(() => this.pumpInner());
  }

  private pumpInner(): void {
    for (;;) {
      const a = this.driver.next();
      if (a.kind === "post") {
        this.hooks.post({ id: a.id, len: a.len });
        continue;
      }
      this.state = a;
      break;
    }
    for (const e of this.driver.drainEvents()) this.hooks.event(e);
  }

  /** What the kthread is doing: waiting for the device, sleeping, or not running. */
  get action(): VirtioRngDriverAction {
    return this.state;
  }

  nextAt(): number | null {
    const s = this.state;
    if (s.kind === "sleep") return s.untilMs;
    if (s.kind === "wait") return s.deadline;
    return null;
  }

  fire(): void {
    this.pump();
  }
}
