import type { ChachaState } from "../crypto/chacha20.js";
import { newChachaState } from "../crypto/chacha20.js";
import type { CrngEventInit } from "../events.js";
import type { VgetrandomState } from "../vdso/vgetrandom-state.js";
import type { ArchSource } from "./arch-source.js";
import { CRNG_EMPTY, type CrngInitValue } from "./constants.js";
import type { FastPool } from "./fast-pool.js";
import { InputPool } from "./input-pool.js";
import type { Jiffies } from "./jiffies.js";
import { Ratelimit } from "./ratelimit.js";

/** The knobs a kernel is built or booted with. Resolved and validated by options.ts. */
export interface KernelConfig {
  /** nr_cpu_ids: how many per-CPU crngs, fast pools and userspace vDSO states exist. */
  cpus: number;
  /** CONFIG_HZ. */
  hz: number;
  /** random.trust_cpu= (CONFIG_RANDOM_TRUST_CPU default y). */
  trustCpu: boolean;
  /** random.trust_bootloader= (CONFIG_RANDOM_TRUST_BOOTLOADER default y). */
  trustBootloader: boolean;
  /** random.ratelimit_disable= (module_param ratelimit_disable, default 0). */
  ratelimitDisable: boolean;
  /** Whether try_to_generate_entropy() can use the cycle counter at all. */
  jitterEnabled: boolean;
  /** Virtual ms between jitter timer samples; null = one per jiffy, as the kernel arms it. */
  jitterTickMs: number | null;
  /** ChaCha blocks in the vgetrandom_state batch_key of the built-in userspace states (2 = the kernel's 96-byte batch). */
  libcBatchBlocks: number;
}

/** struct crng (per CPU) and base_crng: a key and the generation it was derived at. */
export interface CrngKey {
  key: Uint8Array;
  generation: bigint;
}

/** try_to_generate_entropy() as one shared loop that runs while a reader is blocked. */
export interface JitterState {
  /** idle: nobody blocked; running: timer loop active; retry: trial failed, retry in HZ. */
  phase: "idle" | "running" | "retry";
  samplesPerBit: number;
  samples: number;
  /** stack->entropy: the loop's last cycle-counter sample. */
  stackEntropy: bigint;
  /** Virtual ms of the next timer tick or retry, null when idle. */
  dueAt: number | null;
}

/** Every global and per-CPU variable of random.c that this emulation carries. */
export interface RandomState {
  readonly config: KernelConfig;
  pool: InputPool;
  crngInit: CrngInitValue;
  base: CrngKey;
  crngs: CrngKey[];
  fastPools: FastPool[];
  /** vdso_rng_data: generation (base_crng.generation + 1, 0 = invalid) and is_ready. */
  vdsoData: { generation: bigint; isReady: boolean };
  /** crng_reseed()'s static delayed work `next_reseed`, and crng_reseed_interval()'s early_boot. */
  reseedWork: { dueAt: number | null; earlyBoot: boolean; workqueuesOnline: boolean };
  urandomWarning: Ratelimit;
  /** urandom_read_iter(): static int maxwarn. */
  maxwarn: number;
  jitter: JitterState;
  /** One userspace vgetrandom_state per CPU, used by Crng.getrandom() like glibc's per-thread states. */
  libcStates: VgetrandomState[];
}

/** What kernel code needs besides the state: sources, time, printk and wakeups. */
export interface Kernel {
  readonly s: RandomState;
  readonly arch: ArchSource;
  readonly jiffies: Jiffies;
  /** Virtual ms "now" for the code that is running (a timer runs at its own expiry time). */
  now(): number;
  emit(event: CrngEventInit): void;
  /** wake_up_interruptible(&crng_init_wait) and the random_ready notifier chain. */
  wakeReady(): void;
  /** blocking_notifier_call_chain(&vmfork_chain, 0, NULL). */
  runVmforkChain(): void;
  /** Scratch ChaCha state for one call (zeroized by its user). */
  readonly scratch: ChachaState;
}

export function newRandomState(
  config: KernelConfig,
  fastPools: FastPool[],
  libcStates: VgetrandomState[],
  workqueuesOnline: boolean,
): RandomState {
  const ULONG_MAX = (1n << 64n) - 1n;
  return {
    config,
    pool: new InputPool(),
    crngInit: CRNG_EMPTY,
    base: { key: new Uint8Array(32), generation: 0n },
    // DEFINE_PER_CPU(struct crng, crngs) = { .generation = ULONG_MAX }
    crngs: Array.from({ length: config.cpus }, () => ({
      key: new Uint8Array(32),
      generation: ULONG_MAX,
    })),
    fastPools,
    vdsoData: { generation: 0n, isReady: false },
    reseedWork: { dueAt: null, earlyBoot: true, workqueuesOnline },
    urandomWarning: new Ratelimit(config.hz, 3),
    maxwarn: 10,
    jitter: { phase: "idle", samplesPerBit: 0, samples: 0, stackEntropy: 0n, dueAt: null },
    libcStates,
  };
}

export { newChachaState };
