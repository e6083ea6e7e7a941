import { u64le } from "../bytes.js";
import { maxSamplesPerBit, NUM_TRIAL_SAMPLES } from "./constants.js";
import { creditInitBits } from "./credit.js";
import { crngReady } from "./crng-core.js";
import type { Kernel } from "./state.js";

/**
 * try_to_generate_entropy() of drivers/char/random.c, driven by the virtual clock.
 *
 * The kernel samples the cycle counter NUM_TRIAL_SAMPLES times; samples_per_bit =
 * DIV_ROUND_UP(8192, num_different + 1), and a counter needing more than HZ / 15 samples per
 * bit is useless, so the function returns at once. Otherwise it arms a timer for the next tick;
 * each firing mixes one counter sample and credits 1 bit every samples_per_bit firings, while the
 * blocked task loops mixing its own samples, until crng_ready().
 *
 * Here one shared loop stands for all blocked tasks (the kernel runs one per task; more loops
 * only make it faster). It fires once per jiffy, or every `jitterTickMs` of virtual time when
 * configured (a slow platform, to watch a starved guest block). Each firing mixes the timer's
 * sample and then the loop's next sample. When the trial fails, wait_for_random_bytes() retries
 * after its HZ timeout.
 */

/** The trial: samples_per_bit, or Infinity when jitter is switched off (no usable counter). */
function runTrial(k: Kernel): number {
  if (!k.s.config.jitterEnabled) return Number.POSITIVE_INFINITY;
  let last = k.arch.entropy();
  let numDifferent = 0;
  for (let i = 0; i < NUM_TRIAL_SAMPLES - 1; i++) {
    const e = k.arch.entropy();
    if (e !== last) numDifferent++;
    last = e;
  }
  k.s.jitter.stackEntropy = last;
  return Math.ceil(NUM_TRIAL_SAMPLES / (numDifferent + 1));
}

function nextTick(k: Kernel): number {
  const now = k.now();
  const tick = k.s.config.jitterTickMs;
  return tick === null ? k.jiffies.nextTick(now) : now + tick;
}

function beginLoop(k: Kernel, samplesPerBit: number): void {
  const j = k.s.jitter;
  j.phase = "running";
  j.samplesPerBit = samplesPerBit;
  j.samples = 0;
  k.s.pool.mix(u64le(j.stackEntropy)); // first loop iteration: mix_pool_bytes(&stack->entropy)
  j.dueAt = nextTick(k);
  k.emit({
    kind: "jitter-start",
    printk: false,
    samplesPerBit,
    message: `random: try_to_generate_entropy: timer jitter, ${samplesPerBit} sample(s) per bit`,
  });
}

/** wait_for_random_bytes() entry: a task blocks until crng_ready(). */
export function waitForRandomBytes(k: Kernel): void {
  if (crngReady(k) || k.s.jitter.phase !== "idle") return;
  tryOrRetry(k, true);
}

/** try_to_generate_entropy(); when it returns at once, wait HZ and try again. */
function tryOrRetry(k: Kernel, first: boolean): void {
  const j = k.s.jitter;
  const spb = runTrial(k);
  if (spb <= maxSamplesPerBit(k.s.config.hz)) {
    beginLoop(k, spb);
    return;
  }
  j.phase = "retry";
  j.dueAt = k.now() + 1000; // wait_event_interruptible_timeout(crng_init_wait, ..., HZ)
  if (!first) return; // reported once per blocking episode, not every second
  k.emit({
    kind: "jitter-unusable",
    printk: false,
    samplesPerBit: spb,
    message: `random: try_to_generate_entropy: cycle counter unusable (${spb} samples per bit)`,
  });
}

/**
 * urandom_read_iter()'s `if (!crng_ready()) try_to_generate_entropy()`: true when the reader
 * would now spin in the jitter loop (a usable counter), false when the call returns at once.
 */
export function urandomTryToGenerateEntropy(k: Kernel): boolean {
  const j = k.s.jitter;
  if (j.phase === "running") return true;
  const spb = runTrial(k);
  if (spb > maxSamplesPerBit(k.s.config.hz)) return false;
  beginLoop(k, spb);
  return true;
}

/** The jitter timer or the retry timeout expiring. */
export function jitterDue(k: Kernel): void {
  const j = k.s.jitter;
  j.dueAt = null;
  if (j.phase === "retry") {
    if (crngReady(k)) j.phase = "idle";
    else tryOrRetry(k, false);
    return;
  }
  if (j.phase !== "running") return;
  if (!crngReady(k)) {
    // entropy_timer()
    k.s.pool.mix(u64le(k.arch.entropy()));
    j.samples++;
    if (j.samples % j.samplesPerBit === 0) creditInitBits(k, 1);
  }
  // The loop after schedule(): stack->entropy = random_get_entropy(), mixed by the next
  // iteration or, once ready, by the mix after the loop.
  j.stackEntropy = k.arch.entropy();
  k.s.pool.mix(u64le(j.stackEntropy));
  if (crngReady(k)) {
    j.phase = "idle";
    return;
  }
  j.dueAt = nextTick(k);
}
