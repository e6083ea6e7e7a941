import type { GuestSpec } from "@vmrng/cluster";
import type { Clock, JitterOptions } from "@vmrng/crng";
import type { BootImageInput } from "./boot-image.js";
import { GuestKernelError } from "./errors.js";
import type { GuestTransport, WakeListener } from "./transport.js";

/** What the loader and the platform hand a booting kernel. */
export interface GuestBootInput {
  /** Guest memory holding the zero page and the setup_data list. */
  image: BootImageInput;
  /**
   * The 16 vmgenid bytes in guest memory at boot (vmgenid modes "notify" and "counter");
   * omitted: the probe reads them through the transport.
   */
  vmgenid?: Uint8Array;
  /** The VMClock page at boot (mode "counter"); without it the counter driver does not bind. */
  vmclockPage?: Uint8Array;
  /** The kernel command line; default DEFAULT_COMMAND_LINE plus random.trust_cpu=off if needed. */
  commandLine?: string;
}

export interface GuestKernelOptions {
  spec: GuestSpec;
  /** Virtual ms; the process scales wall time by spec.clockRate. */
  clock: Clock;
  transport: GuestTransport;
  /**
   * Good random bytes for RDRAND/RDSEED values and the flaky-mode decider seeds: node:crypto's
   * randomBytes in the process, a seeded source in tests.
   */
  randomBytes: (n: number) => Uint8Array;
  /**
   * random_get_entropy() (RDTSC): the process passes real nanoseconds (process.hrtime.bigint)
   * so jitter and interrupt timing carry real noise; default: a deterministic TSC at 2.5 GHz
   * of virtual time.
   */
  tsc?: () => bigint;
  /** Needed by boot(); a restored kernel has none. */
  boot?: GuestBootInput;
  /**
   * The hwrng quality virtio-rng ends up with: default 1024 (6.x: virtio-rng sets no .quality,
   * hw_random's default_quality is 1024, so a 64-byte read credits 512 bits); 1000 reproduces
   * kernels up to 5.17, where virtio-rng declared .quality = 1000 (500 bits per read).
   */
  virtioRngQuality?: number;
  /** Called whenever nextWakeAt() changes (see transport.ts for the scheduler contract). */
  onWakeChanged?: WakeListener;
  /** CRNG build/platform knobs passed through to @vmrng/crng. */
  crng?: { hz?: number; jitter?: JitterOptions; vdsoBatchBlocks?: number };
  maxLogLines?: number;
  maxEvents?: number;
}

const RDRAND_MODES = ["ok", "absent", "fail", "stuck", "flaky"];
const VMGENID_MODES = ["off", "notify", "counter"];

function bad(message: string): never {
  throw new GuestKernelError("BAD_OPTIONS", message);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** Checks what the kernel relies on; a cluster file already went through the schema. */
export function checkOptions(o: GuestKernelOptions): void {
  if (!isObj(o)) bad("options must be an object");
  const s = o.spec as unknown as Record<string, unknown>;
  if (!isObj(s)) bad("spec must be a GuestSpec");
  const spec = o.spec;
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1 || spec.cpus > 1024) {
    bad(`spec.cpus must be an integer in 1..1024, got ${String(spec.cpus)}`);
  }
  if (typeof spec.coco !== "boolean") bad("spec.coco must be a boolean");
  if (!isObj(spec.rdrand) || !RDRAND_MODES.includes(spec.rdrand.mode)) {
    bad(`spec.rdrand.mode must be one of ${RDRAND_MODES.join(", ")}`);
  }
  const p = spec.rdrand.failProbability;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) bad("spec.rdrand.failProbability in [0, 1]");
  if (!isObj(spec.trust)) bad("spec.trust must be an object");
  for (const k of ["cpu", "bootloader", "msr"] as const) {
    if (typeof spec.trust[k] !== "boolean") bad(`spec.trust.${k} must be a boolean`);
  }
  if (!isObj(spec.virtioRng) || typeof spec.virtioRng.enabled !== "boolean") {
    bad("spec.virtioRng.enabled must be a boolean");
  }
  const q = spec.virtioRng.queueSize;
  if (!Number.isInteger(q) || q < 1 || q > 32768 || (q & (q - 1)) !== 0) {
    bad(`spec.virtioRng.queueSize must be a power of two up to 32768, got ${String(q)}`);
  }
  if (!isObj(spec.vmgenid) || !VMGENID_MODES.includes(spec.vmgenid.mode)) {
    bad(`spec.vmgenid.mode must be one of ${VMGENID_MODES.join(", ")}`);
  }
  const irq = spec.interrupts?.perSecond;
  if (typeof irq !== "number" || !(irq >= 0 && irq <= 1_000_000)) {
    bad("spec.interrupts.perSecond must be a number in 0..1000000");
  }
  if (!isObj(o.clock) || typeof o.clock.now !== "function") bad("clock must have now()");
  const t = o.transport as unknown as Record<string, unknown>;
  if (!isObj(t)) bad("transport must be an object");
  for (const fn of ["virtioPost", "cpuid", "rdmsr", "wrmsr", "readVmgenid"]) {
    if (typeof t[fn] !== "function") bad(`transport.${fn} must be a function`);
  }
  if (typeof o.randomBytes !== "function") bad("randomBytes must be a function");
  if (o.tsc !== undefined && typeof o.tsc !== "function") bad("tsc must be a function");
  const vq = o.virtioRngQuality;
  if (vq !== undefined && (!Number.isInteger(vq) || vq < 1 || vq > 1024)) {
    bad(`virtioRngQuality must be an integer in 1..1024, got ${String(vq)}`);
  }
  if (o.onWakeChanged !== undefined && typeof o.onWakeChanged !== "function") {
    bad("onWakeChanged must be a function");
  }
  for (const k of ["maxLogLines", "maxEvents"] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) bad(`${k} must be a positive integer`);
  }
  if (o.boot !== undefined) {
    if (!isObj(o.boot)) bad("boot must be an object");
    const b = o.boot;
    if (b.vmgenid !== undefined && !(b.vmgenid instanceof Uint8Array)) {
      bad("boot.vmgenid must be a Uint8Array");
    }
    if (b.vmclockPage !== undefined && !(b.vmclockPage instanceof Uint8Array)) {
      bad("boot.vmclockPage must be a Uint8Array");
    }
    if (b.commandLine !== undefined && typeof b.commandLine !== "string") {
      bad("boot.commandLine must be a string");
    }
  }
}
