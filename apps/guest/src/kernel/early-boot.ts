import type { ArchRandom, Crng, Utsname } from "@vmrng/crng";
import {
  ccRandomInit,
  type EntropySink,
  type GuestMemory,
  type InitRdrandResult,
  type ParsedSetupData,
  parseSetupData,
  RDRAND_DEFECTIVE,
  type X86Cpu,
  x86InitRdrand,
} from "@vmrng/devices";
import type { GuestAccounting } from "./accounting.js";
import { COMPILE_BY_HOST, COMPILER } from "./constants.js";
import type { LogLevel } from "./printk.js";
import type { ReadinessTracker } from "./readiness.js";

/** What the synchronous part of boot needs from the kernel. */
export interface EarlyBootContext {
  crng: Crng;
  cpu: X86Cpu;
  arch: ArchRandom;
  memory: GuestMemory;
  zeroPageAddr: bigint;
  coco: boolean;
  commandLine: string;
  utsname: Utsname;
  readiness: ReadinessTracker;
  accounting: GuestAccounting;
  /** The setup_data channel's sink (CoCo: never credits). */
  setupDataSink: EntropySink;
  /** Where cc_random_init()'s RDRAND bytes go (add_device_randomness, no credit). */
  ccSink: EntropySink;
  printk(level: LogLevel, text: string, upstream?: boolean): void;
  driverError(channel: string, message: string, data?: Record<string, unknown>): void;
  /** local_irq_enable(): interrupts start arriving. */
  enableInterrupts(): void;
}

export type EarlyBootResult =
  | {
      kind: "ok";
      setupData: ParsedSetupData;
      archBits: number;
      rdrandSelfTest: InitRdrandResult;
    }
  | { kind: "panic"; message: string; setupData: ParsedSetupData };

/** The banner start_kernel() prints first: linux_banner (init/version-timestamp.c). */
export function linuxBanner(u: Utsname): string {
  return `Linux version ${u.release} (${COMPILE_BY_HOST}) (${COMPILER}) ${u.version}`;
}

/**
 * From start_kernel() to the end of arch_cpu_finalize_init(), in the kernel's order:
 *
 *  start_kernel()                                   init/main.c
 *    pr_notice("%s", linux_banner)
 *    setup_arch()                                   arch/x86/kernel/setup.c
 *      "Command line: %s"                           (x86_64, first thing in setup_arch)
 *      parse_setup_data()                           SETUP_RNG_SEED -> add_bootloader_randomness,
 *                                                   then the data and len zeroed in memory
 *      mem_encrypt_setup_arch(); cc_random_init()   arch/x86/coco/core.c: CoCo only, 32 bytes of
 *                                                   RDRAND in longs or panic("RDRAND is defective.")
 *    "Kernel command line: %s"
 *    parse_early_param()
 *    random_init_early(command_line)                RDSEED/RDRAND, credited with trust_cpu
 *    ... timekeeping_init(); time_init();
 *    random_init()                                  "This must be after timekeeping is initialized"
 *    local_irq_enable()                             interrupts (and their entropy) from here on
 *    ... arch_cpu_finalize_init()
 *          identify_boot_cpu() -> identify_cpu() -> x86_init_rdrand()
 *                                                   arch/x86/kernel/cpu/rdrand.c self-test
 *
 * Everything here is synchronous: no device is involved yet. A panic returns at once.
 */
export function runEarlyBoot(k: EarlyBootContext): EarlyBootResult {
  k.printk("notice", linuxBanner(k.utsname));
  k.printk("info", `Command line: ${k.commandLine}`);

  const setupData = k.readiness.as("setup_data seed", () =>
    // trustBootloader: true hands the seed to add_bootloader_randomness(), whose credit then
    // depends on the CRNG's random.trust_bootloader, exactly as in random.c. CoCo guests get
    // add_device_randomness() (the devices walker) and a never-crediting sink (belt and braces).
    parseSetupData(k.memory, k.setupDataSink, {
      trustBootloader: true,
      coco: k.coco,
      zeroPageAddr: k.zeroPageAddr,
    }),
  );
  for (const s of setupData.seeds) {
    k.accounting.add("setup_data", { requests: 1, bytes: s.len });
    const how = k.coco
      ? "mixed with add_device_randomness (CoCo: host input is not trusted)"
      : "given to add_bootloader_randomness";
    k.printk(
      "info",
      `vmrng: setup_data: SETUP_RNG_SEED of ${s.len} bytes at 0x${s.addr.toString(16)} ${how}; data and len zeroed (seed fingerprint ${s.fingerprint})`,
      false,
    );
  }
  for (const e of setupData.errors) {
    k.accounting.add("setup_data", { errors: 1 });
    k.driverError("setup_data", e.message, { code: e.code, addr: `0x${e.addr.toString(16)}` });
  }
  for (const line of setupData.log) {
    if (setupData.errors.some((e) => line.endsWith(e.message))) continue;
    k.printk("info", `vmrng: ${line}`, false);
  }

  const cc = ccRandomInit(k.arch, k.ccSink, { coco: k.coco });
  if (cc.kind === "panic") {
    // panic(): "Kernel panic - not syncing: %s", then "---[ end Kernel panic - not syncing:
    // %s ]---" (kernel/panic.c) and the CPU spins.
    k.printk("emerg", `Kernel panic - not syncing: ${RDRAND_DEFECTIVE}`);
    k.printk("emerg", `---[ end Kernel panic - not syncing: ${RDRAND_DEFECTIVE} ]---`);
    return { kind: "panic", message: RDRAND_DEFECTIVE, setupData };
  }
  if (cc.kind === "seeded") {
    k.printk(
      "info",
      `vmrng: cc_random_init: ${cc.bytes} bytes of RDRAND mixed (${cc.calls} calls)`,
      false,
    );
  }

  k.printk("notice", `Kernel command line: ${k.commandLine}`);
  const before = k.crng.entropyAvail;
  const archBits = k.readiness.as("RDRAND (random_init_early)", () =>
    k.crng.randomInitEarly(k.commandLine, k.utsname),
  );
  const credited = k.crng.entropyAvail - before;
  if (credited > 0) k.accounting.add("rdrand", { creditedBits: credited });

  k.readiness.as(null, () => k.crng.randomInit());
  k.enableInterrupts();

  const rdrandSelfTest = x86InitRdrand(k.cpu);
  for (const l of rdrandSelfTest.log) k.printk(l.level, l.text);
  return { kind: "ok", setupData, archBits, rdrandSelfTest };
}
