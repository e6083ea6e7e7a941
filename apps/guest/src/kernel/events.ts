import { EventLog } from "@vmrng/crng";
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

/** The guest's events: crng's bounded log, holding the newest events for the history view. */
export class GuestEventBus extends EventLog<GuestEvent> {
  emit(event: GuestEvent): void {
    this.push(event);
  }

  history(): GuestEvent[] {
    return this.recent();
  }
}
