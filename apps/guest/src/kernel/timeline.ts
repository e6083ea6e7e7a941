import type { Clock } from "@vmrng/crng";
import { GuestKernelError } from "./errors.js";

/**
 * The kernel's own notion of "now": the time of the code that is running. It only moves
 * forward, and it moves in steps, from one timed event to the next, so that every timer,
 * interrupt and kthread wake-up runs at its own virtual time no matter when the process
 * got around to calling poll(). The CRNG and the drivers read this clock, never the outer one.
 */
export class KernelClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }
}

/** Something that wants to run at a virtual time. */
export interface TimedSource {
  readonly name: string;
  /** Virtual ms of the next firing, or null. */
  nextAt(): number | null;
  /** Called while the kernel clock still stands before `at` (e.g. to look at state). */
  beforeFire?(at: number): void;
  /** Run what is due at `at` (the kernel clock now reads `at`). */
  fire(at: number): void;
}

/** Firings in one runUntil() beyond which a source is considered stuck. */
const MAX_STEPS = 5_000_000;

/**
 * A discrete-event loop over the registered sources: repeatedly the earliest due source fires
 * (ties in registration order), then `afterStep` runs (deliveries queued meanwhile are handled
 * at that same virtual time).
 */
export class Timeline {
  private readonly sources: TimedSource[] = [];

  constructor(private readonly clock: KernelClock) {}

  add(source: TimedSource): void {
    this.sources.push(source);
  }

  clear(): void {
    this.sources.length = 0;
  }

  nextAt(): number | null {
    let best: number | null = null;
    for (const s of this.sources) {
      const t = s.nextAt();
      if (t !== null && (best === null || t < best)) best = t;
    }
    return best;
  }

  runUntil(target: number, afterStep: () => void): void {
    for (let steps = 0; ; steps++) {
      let best: TimedSource | null = null;
      let at = Number.POSITIVE_INFINITY;
      for (const s of this.sources) {
        const t = s.nextAt();
        if (t !== null && t < at) {
          at = t;
          best = s;
        }
      }
      if (best === null || at > target) break;
      if (steps >= MAX_STEPS) {
        throw new GuestKernelError("LIVELOCK", `${best.name} keeps firing at ${at} ms`);
      }
      best.beforeFire?.(at);
      this.clock.advanceTo(at);
      best.fire(at);
      afterStep();
    }
    this.clock.advanceTo(target);
  }
}
