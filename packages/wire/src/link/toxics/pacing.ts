import type { Out, Stage } from "./stage.js";
import { TimedRelease } from "./timed-release.js";

/**
 * latency: each frame is held latencyMs ± jitterMs from the moment it reached this toxic.
 * Toxiproxy's toxics/latency.go draws `latency + rand(2·jitter) - jitter` per chunk and passes
 * chunks on one at a time, so order is kept; here a frame whose draw is shorter than its
 * predecessor's waits for it (the TimedRelease queue is FIFO), which keeps order the same way.
 */
export class LatencyStage implements Stage {
  readonly #q: TimedRelease;
  readonly #latencyMs: number;
  readonly #jitterMs: number;
  readonly #random: () => number;

  constructor(latencyMs: number, jitterMs: number, random: () => number, out: Out) {
    this.#q = new TimedRelease(out);
    this.#latencyMs = latencyMs;
    this.#jitterMs = jitterMs;
    this.#random = random;
  }

  push(frame: Uint8Array): void {
    let delay = this.#latencyMs;
    if (this.#jitterMs > 0) delay += (this.#random() * 2 - 1) * this.#jitterMs;
    this.#q.hold(frame, performance.now() + Math.max(0, delay));
  }

  heldBytes(): number {
    return this.#q.heldBytes;
  }

  release(): void {
    this.#q.releaseAll();
  }

  dispose(): void {
    this.#q.dropAll();
  }
}

/**
 * bandwidth: a frame of n bytes occupies the link for n / rate seconds after the previous one
 * finished, and goes on at the end of its slot (toxics/bandwidth.go sleeps len/rate before it
 * writes each chunk). Unlike Toxiproxy, which cuts a large chunk into 100 ms pieces, a message
 * is one unit here: it arrives whole at the end of its slot, as a WebSocket message would.
 */
export class BandwidthStage implements Stage {
  readonly #q: TimedRelease;
  readonly #bytesPerMs: number;

  constructor(bytesPerSec: number, out: Out) {
    this.#q = new TimedRelease(out);
    this.#bytesPerMs = bytesPerSec / 1000;
  }

  push(frame: Uint8Array): void {
    const start = Math.max(performance.now(), this.#q.lastDue);
    this.#q.hold(frame, start + frame.byteLength / this.#bytesPerMs);
  }

  heldBytes(): number {
    return this.#q.heldBytes;
  }

  release(): void {
    this.#q.releaseAll();
  }

  dispose(): void {
    this.#q.dropAll();
  }
}
