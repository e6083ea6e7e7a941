import type { GuestSpec } from "@vmrng/cluster";
import type { BootParams } from "@vmrng/wire";

/** The kernel's view of its configuration, rebuilt from what the hypervisor handed over. */
export function specFromBoot(id: string, hypervisor: string, b: BootParams): GuestSpec {
  const rdrand = b.cpu.rdrand;
  return {
    id,
    hypervisor,
    cpus: b.cpu.cpus,
    coco: b.cpu.coco,
    seed: b.setupData.length > 0 ? "present" : "absent",
    rdrand: { mode: rdrand.mode, failProbability: rdrand.failProbability ?? 0.5 },
    trust: { cpu: b.cpu.trustCpu, bootloader: b.cpu.trustBootloader, msr: b.cpu.trustMsr },
    virtioRng: {
      enabled: b.devices.virtioRng.present,
      queueSize: b.devices.virtioRng.queueSize,
      quality: b.devices.virtioRng.quality ?? 1024,
      rateLimit: {},
    },
    msr: { enabled: b.devices.msr.present, writes: b.devices.msr.writable },
    vmgenid: { mode: b.devices.vmgenid.mode, notifyDelayMs: 0 },
    interrupts: { perSecond: b.irqRate },
    clockRate: b.clockRate,
    userspace: b.userspace ?? [],
    expect: "ready",
  };
}
