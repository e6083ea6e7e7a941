export type GuestEventKind =
  /** A kernel log line (data: level, upstream). */
  | "log"
  /** crng_init changed: EMPTY -> EARLY -> READY (data: from, to, source). */
  | "init-state"
  /** crng_reseed() ran (data: reason, generation). */
  | "reseed"
  /** The guest learnt it was forked/restored (data: source "vmgenid" | "counter", ...). */
  | "vmfork"
  /** panic(): the kernel stops (data: exitCode). */
  | "panic"
  /** A device answered something malformed, a probe failed, a request was refused. */
  | "driver-error"
  /** Boot milestones (data: phase). */
  | "boot"
  /** try_to_generate_entropy() started or found the cycle counter unusable. */
  | "jitter"
  /** hwrng kthread credits (data: bytes, creditedBits, sleepMs). */
  | "hwrng";

/** One thing that happened in the guest, for the history and for subscribers. */
export interface GuestEvent {
  /** Virtual ms since boot. */
  at: number;
  kind: GuestEventKind;
  message: string;
  data?: Record<string, unknown>;
}

export type GuestEventListener = (event: GuestEvent) => void;

/**
 * Listeners get every event synchronously; a throwing listener cannot break the kernel path
 * that emitted it (its error is rethrown from a microtask). The newest `max` are kept.
 */
export class GuestEventBus {
  private readonly listeners = new Set<GuestEventListener>();
  private recent: GuestEvent[] = [];

  constructor(private readonly max: number) {}

  emit(event: GuestEvent): void {
    this.recent.push(event);
    if (this.recent.length > this.max) this.recent.shift();
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  subscribe(listener: GuestEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  history(): GuestEvent[] {
    return this.recent.slice();
  }
}
