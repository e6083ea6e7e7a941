import type { Out } from "./stage.js";

interface Held {
  readonly frame: Uint8Array;
  /** performance.now() at which the frame may go on. */
  readonly due: number;
}

/**
 * A FIFO of frames, each with a due time that never decreases along the queue, released by one
 * timer armed for the head: the shared engine of the latency and bandwidth toxics.
 */
export class TimedRelease {
  readonly #out: Out;
  #items: Held[] = [];
  #head = 0;
  #bytes = 0;
  #lastDue = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Out) {
    this.#out = out;
  }

  /** The due time of the last frame held (0 when none ever was). */
  get lastDue(): number {
    return this.#lastDue;
  }

  get heldBytes(): number {
    return this.#bytes;
  }

  /** Holds `frame` until `due`, or until the frame before it left, whichever is later. */
  hold(frame: Uint8Array, due: number): void {
    const at = Math.max(due, this.#lastDue);
    this.#lastDue = at;
    this.#items.push({ frame, due: at });
    this.#bytes += frame.byteLength;
    if (this.#items.length - this.#head === 1) this.#arm(at - performance.now());
  }

  /** Hands on every held frame at once, in order. */
  releaseAll(): void {
    this.#stop();
    const items = this.#take();
    for (const h of items) this.#out(h.frame);
  }

  dropAll(): void {
    this.#stop();
    this.#take();
  }

  #take(): Held[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return items;
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    // Node timers have ms granularity and may fire a little early: #fire re-arms if so.
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(delayMs)));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head < this.#items.length) {
      const h = this.#items[this.#head]!;
      if (h.due > now) {
        this.#arm(h.due - now);
        return;
      }
      this.#items[this.#head++] = undefined as never;
      this.#bytes -= h.frame.byteLength;
      this.#out(h.frame); // may dispose this queue (the link closed): the loop then ends
    }
    this.#items = [];
    this.#head = 0;
  };
}
