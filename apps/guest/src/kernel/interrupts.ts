import { IDLE_LOOP_IP, MODEL_IRQS } from "./constants.js";
import type { TimedSource } from "./timeline.js";

export interface InterruptState {
  /** Virtual ms at which local_irq_enable() ran; null before. */
  startedAt: number | null;
  /** Interrupts delivered so far. */
  delivered: number;
}

/**
 * Device interrupts at `perSecond` per virtual second, evenly spaced from the moment
 * start_kernel() enables interrupts (right after random_init(): init/main.c), round-robin over
 * the vCPUs and MODEL_IRQS, each one an add_interrupt_randomness() on its CPU. Their only
 * entropy is the cycle counter read at delivery, i.e. the injected TSC.
 */
export class InterruptModel implements TimedSource {
  readonly name = "interrupts";
  private readonly periodMs: number;
  private state: InterruptState = { startedAt: null, delivered: 0 };

  constructor(
    perSecond: number,
    private readonly cpus: number,
    private readonly deliver: (irq: number, cpu: number, ip: bigint) => void,
  ) {
    this.periodMs = perSecond > 0 ? 1000 / perSecond : Number.POSITIVE_INFINITY;
  }

  start(atMs: number): void {
    if (this.state.startedAt === null) this.state.startedAt = atMs;
  }

  stop(): void {
    this.state.startedAt = null;
  }

  nextAt(): number | null {
    const s = this.state;
    if (s.startedAt === null || !Number.isFinite(this.periodMs)) return null;
    // From the count, not by accumulation, so the spacing never drifts.
    return s.startedAt + (s.delivered + 1) * this.periodMs;
  }

  fire(): void {
    const n = this.state.delivered;
    this.state.delivered = n + 1;
    this.deliver(MODEL_IRQS[n % MODEL_IRQS.length]!, n % this.cpus, IDLE_LOOP_IP);
  }

  get snapshot(): InterruptState {
    return { ...this.state };
  }

  load(s: InterruptState): void {
    this.state = { ...s };
  }
}
