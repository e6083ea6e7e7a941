/** Why crng_reseed() ran. */
export type ReseedReason =
  /** _credit_init_bits() crossing POOL_READY_BITS. */
  | "init"
  /** The self-rescheduling delayed work `next_reseed`. */
  | "periodic"
  /** add_vmfork_randomness() once ready. */
  | "vmfork"
  /** random_init_early() / random_init() when already ready. */
  | "random_init_early"
  | "random_init"
  /** ioctl(RNDRESEEDCRNG). */
  | "ioctl";

interface EventBase {
  /** Virtual ms since boot at which it happened. */
  at: number;
  /**
   * Exact kernel log text including the "random: " pr_fmt prefix when `printk` is true;
   * a descriptive line (not something Linux prints) when false.
   */
  message: string;
  /** Whether Linux prints this line (pr_notice, KERN_NOTICE). */
  printk: boolean;
}

export type CrngEvent =
  | (EventBase & { kind: "crng-early"; printk: false; initBits: number })
  | (EventBase & { kind: "crng-reseed"; printk: false; reason: ReseedReason; generation: bigint })
  | (EventBase & { kind: "crng-init-done"; printk: true })
  | (EventBase & { kind: "urandom-warnings-missed"; printk: true; missed: number })
  | (EventBase & { kind: "vmfork-reseed"; printk: true })
  | (EventBase & { kind: "urandom-warning"; printk: true; comm: string; bytes: number })
  | (EventBase & { kind: "jitter-start"; printk: false; samplesPerBit: number })
  | (EventBase & { kind: "jitter-unusable"; printk: false; samplesPerBit: number });

export type CrngEventKind = CrngEvent["kind"];

/** An event before it is stamped with its time. */
export type CrngEventInit = CrngEvent extends infer E
  ? E extends CrngEvent
    ? Omit<E, "at">
    : never
  : never;

export type CrngEventListener = (event: CrngEvent) => void;

/**
 * A bounded event log: listeners get events synchronously (an exception in one is rethrown from
 * a microtask, so a throwing listener never leaves the emitting kernel code half-done), and the
 * newest `max` events are kept for drain() or recent().
 */
export class EventLog<E = CrngEvent> {
  private readonly listeners = new Set<(event: E) => void>();
  private queue: E[] = [];
  dropped = 0;
  constructor(private readonly max: number) {}

  push(event: E): void {
    this.queue.push(event);
    if (this.queue.length > this.max) {
      this.queue.shift();
      this.dropped++;
    }
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

  subscribe(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Takes the kept events out. */
  drain(): E[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }

  /** A copy of the kept events, leaving them in place. */
  recent(): E[] {
    return this.queue.slice();
  }
}
