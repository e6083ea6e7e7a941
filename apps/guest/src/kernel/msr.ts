import {
  type AsyncCommonHvCpu,
  AsyncRngMsrDriver,
  type EntropySink,
  type RngMsrSeedResult,
} from "@vmrng/devices";
import type { GuestTransport } from "./transport.js";

/** The boot CPU's CPUID/RDMSR/WRMSR, each a VM exit answered by the hypervisor. */
export function transportCpu(t: GuestTransport): AsyncCommonHvCpu {
  return {
    cpuid: (leaf, subleaf = 0) => t.cpuid(leaf >>> 0, subleaf >>> 0),
    rdmsr: (index) => t.rdmsr(index >>> 0),
    wrmsr: (index, value) => t.wrmsr(index >>> 0, value),
  };
}

/**
 * The lab's CommonHV RNG MSR driver (no upstream Linux driver exists): binds when CPUID
 * 4F000000H carries "CommonHVIntf" and 4F000002H announces the RNG, reads 4 longs (256 bits)
 * from the MSR 4F000003H names, treats 0 as "no data", never credits repeats, and credits only
 * with trust.msr outside CoCo (otherwise add_device_randomness()).
 */
export async function seedFromMsr(
  transport: GuestTransport,
  sink: EntropySink,
  trustMsr: boolean,
): Promise<{ result: RngMsrSeedResult; driver: AsyncRngMsrDriver }> {
  const driver = new AsyncRngMsrDriver({ cpu: transportCpu(transport), sink, trustMsr });
  return { result: await driver.seed(), driver };
}

/** One line for dmesg about what the driver did (null when it did not bind). */
export function describeMsrSeed(r: RngMsrSeedResult, credited: boolean): string | null {
  const info = r.info;
  if (!info?.rngPresent) return null;
  const idx = `0x${info.msrIndex.toString(16)}`;
  const what = credited
    ? `${r.creditedBits} bits credited`
    : `${r.mixedBytes} bytes mixed, not credited (untrusted)`;
  return `commonhv_rng: MSR ${idx}: ${r.reads} reads, ${r.zeros} zero, ${r.repeats} repeated, ${r.faults} faulted; ${what}`;
}
