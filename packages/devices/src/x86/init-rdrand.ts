import { rdrandLong, type X86Cpu } from "./cpu.js";

export interface KernelLogLine {
  level: "emerg" | "alert" | "crit" | "err" | "warning" | "notice" | "info" | "debug";
  text: string;
}

export interface InitRdrandResult {
  /** False when the CPU never advertised RDRAND (the self-test does not run). */
  ran: boolean;
  failure: boolean;
  /** Samples obtained before a failure (up to 8) and how many differed from their predecessor. */
  samples: bigint[];
  changed: number;
  log: KernelLogLine[];
  caps: { rdrand: boolean; rdseed: boolean };
}

/** x86_init_rdrand(): SAMPLES = 8, MIN_CHANGE = 5 (arch/x86/kernel/cpu/rdrand.c). */
export const RDRAND_SELFTEST_SAMPLES = 8;
export const RDRAND_SELFTEST_MIN_CHANGE = 5;
export const RDRAND_DISABLED_MESSAGE = "RDRAND is not reliable on this platform; disabling.";

/**
 * The boot self-test: 8 rdrand_long() samples; any failure, or fewer than 5 changes between
 * consecutive samples (a stuck value), clears X86_FEATURE_RDRAND and X86_FEATURE_RDSEED and
 * logs at KERN_EMERG. It runs from identify_cpu(), i.e. after setup_arch() and therefore after
 * cc_random_init(): a stuck RDRAND seeds a CoCo guest before this test catches it.
 */
export function x86InitRdrand(cpu: X86Cpu): InitRdrandResult {
  const caps = () => ({ rdrand: cpu.hasRdrand, rdseed: cpu.hasRdseed });
  if (!cpu.hasRdrand) {
    return { ran: false, failure: false, samples: [], changed: 0, log: [], caps: caps() };
  }
  const samples: bigint[] = [];
  let failure = false;
  let changed = 0;
  for (let i = 0; i < RDRAND_SELFTEST_SAMPLES; i++) {
    const v = rdrandLong(cpu);
    if (v === null) {
      failure = true;
      break;
    }
    if (i > 0 && v !== samples[i - 1]) changed += 1;
    samples.push(v);
  }
  if (changed < RDRAND_SELFTEST_MIN_CHANGE) failure = true;
  const log: KernelLogLine[] = [];
  if (failure) {
    cpu.clearCap("rdrand");
    cpu.clearCap("rdseed");
    log.push({ level: "emerg", text: RDRAND_DISABLED_MESSAGE });
  }
  return { ran: true, failure, samples, changed, log, caps: caps() };
}
