import type { Out, Stage } from "./stage.js";

/**
 * Whole-message faults. Toxiproxy has no drop or duplicate toxic (a TCP stream cannot lose or
 * repeat a chunk without breaking it); on a message link they are the natural unit of loss.
 */
abstract class Stateless implements Stage {
  abstract push(frame: Uint8Array): void;
  heldBytes(): number {
    return 0;
  }
  release(): void {}
  dispose(): void {}
}

/** drop: each message is lost with `probability` (one draw per message). */
export class DropStage extends Stateless {
  constructor(
    readonly probability: number,
    readonly random: () => number,
    readonly out: Out,
  ) {
    super();
  }
  push(frame: Uint8Array): void {
    if (this.random() < this.probability) return;
    this.out(frame);
  }
}

/** duplicate: each message is passed on twice with `probability` (one draw per message). */
export class DuplicateStage extends Stateless {
  constructor(
    readonly probability: number,
    readonly random: () => number,
    readonly out: Out,
  ) {
    super();
  }
  push(frame: Uint8Array): void {
    const twice = this.random() < this.probability;
    this.out(frame);
    if (twice) this.out(frame);
  }
}

/**
 * corrupt: with `probability` per message, XOR `bytes` distinct random positions of a copy of
 * the encoded frame with a non-zero random byte, so each chosen byte really changes. Toxiproxy's
 * toxics/corrupt.go instead flips every bit of the stream with a probability; per-message
 * corruption of a fixed byte count makes a run reproducible from its seed and keeps most frames
 * intact, so the codec's strict validation (not only the frame length) is what gets exercised.
 */
export class CorruptStage extends Stateless {
  constructor(
    readonly probability: number,
    readonly bytes: number,
    readonly random: () => number,
    readonly out: Out,
  ) {
    super();
  }
  push(frame: Uint8Array): void {
    if (this.random() >= this.probability || frame.byteLength === 0) {
      this.out(frame);
      return;
    }
    // A copy: the frame may be a view into a buffer someone else still reads.
    const bad = frame.slice();
    for (const pos of this.#positions(bad.byteLength)) {
      bad[pos] = bad[pos]! ^ (1 + Math.floor(this.random() * 255));
    }
    this.out(bad);
  }

  #positions(len: number): number[] {
    if (this.bytes >= len) return Array.from({ length: len }, (_, i) => i);
    const picked = new Set<number>();
    while (picked.size < this.bytes) picked.add(Math.floor(this.random() * len));
    return [...picked];
  }
}
