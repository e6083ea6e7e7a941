import type { ArchRandom } from "./arch.js";
import type { Clock } from "./clock.js";
import { CrngError } from "./errors.js";
import { ALLOWED_HZ } from "./kernel/constants.js";
import type { KernelConfig } from "./kernel/state.js";

export interface JitterOptions {
  /**
   * false models a platform whose cycle counter cannot feed try_to_generate_entropy(): blocked
   * readers then wait for other sources only, and /dev/urandom warns instead of spinning.
   * Default true (the trial over ArchRandom.getEntropy() still decides, as in the kernel).
   */
  enabled?: boolean;
  /**
   * Virtual ms between jitter timer firings. Default null: the next jiffy, as the kernel arms
   * it. Larger values model a slow or heavily descheduled guest, so a starved VM visibly blocks.
   */
  tickMs?: number | null;
}

export interface CrngOptions {
  /** Virtual ms since boot. Required: the CRNG never reads the wall clock. */
  clock: Clock;
  /** RDSEED / RDRAND / cycle counter. Default NoArchRandom (none, and a stepping counter). */
  arch?: ArchRandom;
  /** nr_cpu_ids. Default 1. */
  cpus?: number;
  /** CONFIG_HZ: 100, 250, 300 or 1000. Default 1000. */
  hz?: number;
  /** random.trust_cpu. Default true. */
  trustCpu?: boolean;
  /** random.trust_bootloader. Default true. */
  trustBootloader?: boolean;
  /** random.ratelimit_disable. Default false. */
  ratelimitDisable?: boolean;
  jitter?: JitterOptions;
  /**
   * ChaCha blocks per vgetrandom_state batch_key for the per-CPU states behind getrandom().
   * 2 is the kernel's struct (96-byte batch). Default 64 (a 4064-byte batch): the JS per-call
   * cost is dominated by refills, and the generation check makes reseed invalidation
   * independent of the batch size.
   */
  vdsoBatchBlocks?: number;
  /**
   * Whether workqueues exist yet. crng_reseed() only arms the periodic reseed work once they do;
   * a guest emulating early boot passes false and calls randomInit() (which sets it). Default true.
   */
  workqueuesOnline?: boolean;
  /** Events kept for drainEvents(); older ones are dropped (and counted). Default 1024. */
  maxQueuedEvents?: number;
}

export const DEFAULT_VDSO_BATCH_BLOCKS = 64;

function bad(what: string): never {
  throw new CrngError("EARG", what);
}

function bool(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") bad(`${name} must be a boolean`);
  return v;
}

function int(v: unknown, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    bad(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

export function resolveConfig(o: CrngOptions): KernelConfig {
  const hz = int(o.hz, "hz", 1000, 1, 10_000);
  if (!(ALLOWED_HZ as readonly number[]).includes(hz)) {
    bad(`hz must be one of ${ALLOWED_HZ.join(", ")}, got ${hz}`);
  }
  const tick = o.jitter?.tickMs;
  if (
    tick !== undefined &&
    tick !== null &&
    !(typeof tick === "number" && tick > 0 && tick < 1e9)
  ) {
    bad(`jitter.tickMs must be a positive number or null, got ${String(tick)}`);
  }
  return {
    cpus: int(o.cpus, "cpus", 1, 1, 1024),
    hz,
    trustCpu: bool(o.trustCpu, "trustCpu", true),
    trustBootloader: bool(o.trustBootloader, "trustBootloader", true),
    ratelimitDisable: bool(o.ratelimitDisable, "ratelimitDisable", false),
    jitterEnabled: bool(o.jitter?.enabled, "jitter.enabled", true),
    jitterTickMs: tick ?? null,
    libcBatchBlocks: int(o.vdsoBatchBlocks, "vdsoBatchBlocks", DEFAULT_VDSO_BATCH_BLOCKS, 2, 1024),
  };
}

export function checkClock(clock: unknown): Clock {
  if (typeof clock !== "object" || clock === null || typeof (clock as Clock).now !== "function") {
    bad("clock must be an object with now(): number");
  }
  return clock as Clock;
}

export function checkArch(arch: unknown): ArchRandom | undefined {
  if (arch === undefined) return undefined;
  const a = arch as ArchRandom;
  if (
    typeof arch !== "object" ||
    arch === null ||
    typeof a.getEntropy !== "function" ||
    typeof a.getRandomLongs !== "function" ||
    typeof a.getRandomSeedLongs !== "function"
  ) {
    bad("arch must implement getRandomSeedLongs, getRandomLongs and getEntropy");
  }
  return a;
}
