import { u64le, writeU64le } from "../bytes.js";
import { BLAKE2S_BLOCK_SIZE } from "./constants.js";
import { creditInitBits, creditInitBitsRaw } from "./credit.js";
import { crngReady, crngReseed, crngReseedInterval } from "./crng-core.js";
import type { Kernel } from "./state.js";

/** Section "Entropy collection routines" of drivers/char/random.c (v6.12). */

/** add_device_randomness(): mix random_get_entropy() then the buffer; credits nothing. */
export function addDeviceRandomness(k: Kernel, buf: Uint8Array): void {
  const entropy = k.arch.entropy();
  k.s.pool.mix(u64le(entropy));
  k.s.pool.mix(buf);
}

/**
 * add_hwgenerator_randomness(buf, len, entropy, sleep_after): mix, credit `entropy` bits, and
 * when sleep_after && (crng_ready() || !entropy) the hwrng kthread sleeps crng_reseed_interval().
 * Returns that sleep in virtual ms (0 = no sleep). kthread_should_stop() is never true here.
 */
export function addHwgeneratorRandomness(
  k: Kernel,
  buf: Uint8Array,
  entropyBits: number,
  sleepAfter: boolean,
): number {
  k.s.pool.mix(buf);
  creditInitBits(k, entropyBits);
  if (sleepAfter && (crngReady(k) || !entropyBits)) {
    return k.jiffies.toMs(crngReseedInterval(k));
  }
  return 0;
}

/** add_bootloader_randomness(): mix; credit len * 8 bits when random.trust_bootloader. */
export function addBootloaderRandomness(k: Kernel, buf: Uint8Array): void {
  k.s.pool.mix(buf);
  if (k.s.config.trustBootloader) creditInitBits(k, buf.length * 8);
}

/**
 * add_vmfork_randomness(): the VM id is unique, not secret: add_device_randomness() without
 * credit, then if ready an immediate crng_reseed() and the notice; the vmfork notifier chain runs
 * either way.
 */
export function addVmforkRandomness(k: Kernel, id: Uint8Array): void {
  addDeviceRandomness(k, id);
  if (crngReady(k)) {
    crngReseed(k, "vmfork");
    k.emit({
      kind: "vmfork-reseed",
      printk: true,
      message: "random: crng reseeded due to virtual machine fork",
    });
  }
  k.runVmforkChain();
}

/** struct new_utsname: six char[__NEW_UTS_LEN + 1] fields (include/uapi/linux/utsname.h). */
export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

const NEW_UTS_LEN = 64;

export const DEFAULT_UTSNAME: Utsname = {
  sysname: "Linux",
  nodename: "(none)",
  release: "6.12.0-vmrng",
  version: "#1 SMP PREEMPT_DYNAMIC",
  machine: "x86_64",
  domainname: "(none)",
};

export function encodeUtsname(u: Utsname): Uint8Array {
  const out = new Uint8Array(6 * (NEW_UTS_LEN + 1));
  const enc = new TextEncoder();
  const fields = [u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname];
  fields.forEach((f, i) => {
    out.set(enc.encode(f).subarray(0, NEW_UTS_LEN), i * (NEW_UTS_LEN + 1));
  });
  return out;
}

/** strlen(command_line) bytes: UTF-8, up to the first NUL. */
function cmdlineBytes(commandLine: string): Uint8Array {
  const b = new TextEncoder().encode(commandLine);
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/**
 * random_init_early(command_line): 64 bytes (BLAKE2S_BLOCK_SIZE) of arch randomness, RDSEED
 * longs first and RDRAND longs when RDSEED gives none, each batch mixed as obtained; a slot that
 * both fail is skipped and costs 64 bits of credit (arch_bits starts at 512). Then utsname and
 * the command line are mixed. Already ready: crng_reseed(); else with random.trust_cpu:
 * _credit_init_bits(arch_bits), which saturates at POOL_BITS.
 * Returns arch_bits.
 */
export function randomInitEarly(k: Kernel, commandLine: string, utsname: Utsname): number {
  const nlongs = BLAKE2S_BLOCK_SIZE / 8;
  let archBits = nlongs * 64;
  for (let i = 0; i < nlongs; ) {
    let longs = k.arch.seedLongs(nlongs - i);
    if (longs.length === 0) longs = k.arch.longs(nlongs - i);
    if (longs.length > 0) {
      const buf = new Uint8Array(8 * longs.length);
      for (let j = 0; j < longs.length; j++) writeU64le(buf, 8 * j, longs[j]!);
      k.s.pool.mix(buf);
      i += longs.length;
      continue;
    }
    archBits -= 64;
    i++;
  }
  k.s.pool.mix(encodeUtsname(utsname));
  k.s.pool.mix(cmdlineBytes(commandLine));
  if (crngReady(k)) crngReseed(k, "random_init_early");
  else if (k.s.config.trustCpu) creditInitBitsRaw(k, archBits);
  return archBits;
}

/**
 * random_init(): mix ktime_get_real() (ns) and random_get_entropy(); workqueues exist by now
 * (workqueue_init_early() runs before it in start_kernel()), so a reseed here also arms the
 * periodic reseed work. Reseeds if already ready.
 */
export function randomInit(k: Kernel, realTimeNs: bigint): void {
  const entropy = k.arch.entropy();
  k.s.pool.mix(u64le(BigInt.asUintN(64, realTimeNs)));
  k.s.pool.mix(u64le(entropy));
  k.s.reseedWork.workqueuesOnline = true;
  if (crngReady(k)) crngReseed(k, "random_init");
}
