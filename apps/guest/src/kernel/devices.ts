import type { GuestSpec } from "@vmrng/cluster";
import { VirtioRngDriver } from "@vmrng/devices";
import type { GuestAccounting, GuestChannel } from "./accounting.js";
import { errText } from "./args.js";
import type { ChannelSink } from "./channel-sink.js";
import type { KernelConsole } from "./console.js";
import { GenerationCounterChannel } from "./gencounter.js";
import { HwrngRunner } from "./hwrng.js";
import { hwrngEventHandler } from "./kernel-events.js";
import { describeMsrSeed, seedFromMsr } from "./msr.js";
import type { ReadinessSource, ReadinessTracker } from "./readiness.js";
import type { KernelClock } from "./timeline.js";
import type { GuestTransport } from "./transport.js";
import { VmgenidChannel } from "./vmgenid.js";

export interface GuestDevicesDeps {
  spec: GuestSpec;
  coco: boolean;
  transport: GuestTransport;
  clock: KernelClock;
  accounting: GuestAccounting;
  console: KernelConsole;
  readiness: ReadinessTracker;
  /** hwrng quality override for virtio-rng (see GuestKernelOptions.virtioRngQuality). */
  virtioQuality: number | undefined;
  inKernel<T>(fn: () => T): T;
  sink(channel: GuestChannel, source: ReadinessSource | null, untrusted: boolean): ChannelSink;
}

/**
 * The guest's entropy device drivers and their probes, in initcall order: vmgenid (ACPI),
 * the VMClock generation counter, virtio-rng + hwrng_register(), the CommonHV RNG MSR.
 * A probe that fails logs a driver error and leaves that device absent; boot goes on.
 */
export class GuestDevices {
  hwrng: HwrngRunner | null = null;
  vmgenid: VmgenidChannel | null = null;
  counter: GenerationCounterChannel | null = null;

  constructor(private readonly d: GuestDevicesDeps) {}

  /** drivers/virt/vmgenid.c vmgenid_add(): this_id = the id in memory, add_device_randomness(). */
  async probeVmgenid(idAtBoot: Uint8Array | undefined): Promise<void> {
    const d = this.d;
    if (d.spec.vmgenid.mode === "off") return;
    let id = idAtBoot;
    if (!id) {
      try {
        id = await d.transport.readVmgenid();
      } catch (e) {
        d.inKernel(() => d.console.driverError("vmgenid", `reading the id failed: ${errText(e)}`));
        return;
      }
    }
    const bytes = id instanceof Uint8Array ? id : new Uint8Array(0);
    d.inKernel(() => {
      d.accounting.add("vmgenid", { requests: 1, bytes: bytes.length });
      const ch = new VmgenidChannel(d.sink("vmgenid", null, d.coco), () => this.readVmgenid());
      const r = ch.probe(bytes);
      if (r.kind === "driver-error") {
        d.accounting.add("vmgenid", { errors: 1 });
        d.console.driverError("vmgenid", `probe failed: ${r.message}`, { code: r.code });
        return;
      }
      this.vmgenid = ch;
    });
  }

  /** The VMClock page with VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT (mode "counter"). */
  probeCounter(page: Uint8Array | undefined): void {
    const d = this.d;
    if (d.spec.vmgenid.mode !== "counter") return;
    d.inKernel(() => {
      if (!page) {
        d.console.driverError(
          "counter",
          "no VMClock page at boot: generation counter not available",
        );
        return;
      }
      const ch = new GenerationCounterChannel(d.sink("counter", null, d.coco), page);
      try {
        ch.probe();
      } catch (e) {
        d.accounting.add("counter", { errors: 1 });
        d.console.driverError("counter", `probe failed: ${errText(e)}`);
        return;
      }
      d.accounting.add("counter", { requests: 1, bytes: 8 });
      this.counter = ch;
    });
  }

  /** virtio-rng probe_common() + virtrng_scan() -> hwrng_register() with the early read. */
  probeVirtioRng(): void {
    if (!this.d.spec.virtioRng.enabled) return;
    this.d.inKernel(() => this.attachVirtioRng().probeAndRegister());
  }

  private attachVirtioRng(): HwrngRunner {
    const d = this.d;
    const driver = new VirtioRngDriver({
      sink: d.sink("virtio-rng", "virtio-rng", d.coco),
      clock: d.clock,
      queueSize: d.spec.virtioRng.queueSize,
      ...(d.virtioQuality !== undefined ? { quality: d.virtioQuality } : {}),
    });
    this.hwrng = new HwrngRunner(driver, {
      post: (desc) => {
        try {
          d.transport.virtioPost(desc);
        } catch (e) {
          d.accounting.add("virtio-rng", { errors: 1 });
          d.console.driverError(
            "virtio-rng",
            `posting descriptor ${desc.id} failed: ${errText(e)}`,
          );
        }
      },
      event: hwrngEventHandler(d.console, d.accounting, !d.coco),
      asVirtio: (fn) => d.readiness.as("virtio-rng", fn),
    });
    return this.hwrng;
  }

  /** The lab's CommonHV RNG MSR driver, when CPUID 4F000000H carries the signature. */
  async probeMsr(): Promise<void> {
    const d = this.d;
    const trusted = d.spec.trust.msr && !d.coco;
    try {
      const { result } = await seedFromMsr(d.transport, d.sink("msr", "msr", !trusted), trusted);
      d.inKernel(() => {
        d.accounting.add("msr", {
          requests: result.reads,
          bytes: (result.reads - result.faults) * 8,
          errors: result.faults,
        });
        const line = describeMsrSeed(result, trusted);
        if (line) d.console.printk("info", line, false);
        if (result.faults > 0) {
          d.console.driverError(
            "msr",
            `rdmsr faulted ${result.faults} time(s) on the announced MSR`,
          );
        }
        if (result.repeats > 0) {
          d.console.driverError("msr", `${result.repeats} repeated value(s): not credited`, {
            repeats: result.repeats,
          });
        }
      });
    } catch (e) {
      d.inKernel(() => {
        d.accounting.add("msr", { errors: 1 });
        d.console.driverError("msr", `CPUID/RDMSR failed: ${errText(e)}`);
      });
    }
  }

  /** The vmgenid memory as the hypervisor has it now (counted on the vmgenid channel). */
  async readVmgenid(): Promise<Uint8Array> {
    const id = await this.d.transport.readVmgenid();
    const bytes = id instanceof Uint8Array ? id.slice() : new Uint8Array(0);
    this.d.accounting.add("vmgenid", { requests: 1, bytes: bytes.length });
    return bytes;
  }

  /** The new generation's vmgenid bytes (what makes sibling clones differ), if there is one. */
  async generationUniqueBytes(): Promise<Uint8Array> {
    const ch = this.vmgenid;
    if (!ch) return new Uint8Array(0);
    try {
      return await this.readVmgenid();
    } catch (e) {
      this.d.inKernel(() =>
        this.d.console.driverError("vmgenid", `reading the id failed: ${errText(e)}`),
      );
      return ch.currentId ?? new Uint8Array(0);
    }
  }

  /**
   * Resume after a restore: vmgenid with the id the parent had seen (its probe's mixing muted:
   * the restored pool already holds it), the counter at the parent's last value, and a fresh
   * virtio-rng device (re-probed, as after a virtio reset).
   */
  resume(s: {
    vmgenidId: Uint8Array | null;
    generationCounter: bigint | null;
    vmclockPage: Uint8Array | undefined;
    virtioRngRegistered: boolean;
  }): void {
    const d = this.d;
    if (s.vmgenidId && d.spec.vmgenid.mode !== "off") {
      const sink = d.sink("vmgenid", null, d.coco);
      const ch = new VmgenidChannel(sink, () => this.readVmgenid());
      sink.muted = true;
      ch.restoreId(s.vmgenidId);
      sink.muted = false;
      this.vmgenid = ch;
    }
    if (s.generationCounter !== null && s.vmclockPage) {
      const ch = new GenerationCounterChannel(d.sink("counter", null, d.coco), s.vmclockPage);
      try {
        ch.restoreCounter(s.generationCounter, s.vmclockPage);
        this.counter = ch;
      } catch (e) {
        d.console.driverError("counter", `resuming the generation counter failed: ${errText(e)}`);
      }
    }
    if (s.virtioRngRegistered && d.spec.virtioRng.enabled) {
      this.attachVirtioRng().probeAndRegister();
    }
  }
}
