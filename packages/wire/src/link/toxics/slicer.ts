import type { Out, Stage } from "./stage.js";

/** Writes one WebSocket data frame: a fragment of a message, `fin` on its last one. */
export type FragmentWriter = (chunk: Uint8Array, fin: boolean) => void;

/**
 * Cut points for a frame of `size` bytes, Toxiproxy's way (toxics/slicer.go `chunk`): a span
 * longer than averageSize + sizeVariation is split near its middle, moved by up to ±sizeVariation,
 * and each half is split again. Returns the end offsets of the pieces (the last is `size`).
 */
export function sliceEnds(
  size: number,
  averageSize: number,
  sizeVariation: number,
  random: () => number,
): number[] {
  const ends: number[] = [];
  const split = (start: number, end: number): void => {
    if (end - start - averageSize <= sizeVariation) {
      ends.push(end);
      return;
    }
    const shift =
      sizeVariation > 0 ? Math.floor(random() * (2 * sizeVariation + 1)) - sizeVariation : 0;
    const mid = start + Math.floor((end - start) / 2) + shift;
    split(start, mid);
    split(mid, end);
  };
  split(0, size);
  return ends;
}

/**
 * slicer. Toxiproxy cuts the TCP stream into small writes; a WebSocket message is cut here into
 * continuation frames (RFC 6455 §5.4: first frame with the opcode and FIN clear, continuation
 * frames after it, FIN on the last), written `delayUs` apart, so the peer's TCP stack really gets
 * the message in slices and its ws reassembles them. It acts on the bytes written to the socket,
 * so it always runs last in the send chain whatever its insertion order (the chain hands it the
 * frames the other toxics let through), and a link has at most one. No other data frame may be
 * interleaved with a fragmented message (§5.4), so later frames wait for the current one.
 */
export class SlicerStage implements Stage {
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #current: { frame: Uint8Array; ends: number[]; next: number; from: number } | undefined;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  readonly #delayUs: number;

  constructor(
    readonly averageSize: number,
    readonly sizeVariation: number,
    delayUs: number,
    readonly random: () => number,
    /** The next stage in the chain: the slicer itself acts at the socket (see `write`). */
    readonly out: Out,
    readonly writeFragment: FragmentWriter,
    /** Writes a whole frame normally (used when the slicer is removed). */
    readonly writeWhole: Out,
  ) {
    this.#delayUs = delayUs;
  }

  push(frame: Uint8Array): void {
    this.out(frame);
  }

  /** The chain's sink calls this with each frame that reached the socket side of the chain. */
  write(frame: Uint8Array): void {
    this.#queue.push(frame);
    this.#queuedBytes += frame.byteLength;
    if (this.#current === undefined && this.#timer === undefined) this.#startNext();
  }

  heldBytes(): number {
    return this.#queuedBytes + (this.#current ? this.#current.frame.byteLength : 0);
  }

  /**
   * Removal: the rest of the current message goes out as its final fragment (Toxiproxy sends the
   * remainder in one chunk on interrupt), then the waiting frames go out whole.
   */
  release(): void {
    this.#stop();
    const cur = this.#current;
    this.#current = undefined;
    if (cur !== undefined) this.writeFragment(cur.frame.subarray(cur.from), true);
    const waiting = this.#queue.splice(0);
    this.#queuedBytes = 0;
    for (const f of waiting) this.writeWhole(f);
  }

  dispose(): void {
    this.#stop();
    this.#current = undefined;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }

  #stop(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }

  #startNext(): void {
    const frame = this.#queue.shift();
    if (frame === undefined) return;
    this.#queuedBytes -= frame.byteLength;
    const ends = sliceEnds(frame.byteLength, this.averageSize, this.sizeVariation, this.random);
    this.#current = { frame, ends, next: 0, from: 0 };
    this.#emit();
  }

  readonly #emit = (): void => {
    this.#timer = undefined;
    const cur = this.#current;
    if (cur === undefined) return;
    const end = cur.ends[cur.next++]!;
    const fin = cur.next === cur.ends.length;
    const chunk = cur.frame.subarray(cur.from, end);
    cur.from = end;
    if (fin) this.#current = undefined;
    this.writeFragment(chunk, fin); // may dispose us (the socket failed)
    if (this.#current === undefined && this.#queue.length === 0) return;
    // Each slice waits delayUs (slicer.go sleeps `Delay` µs after each chunk). Below 1 ms a
    // setImmediate still lets the event loop flush the slice to the socket on its own.
    this.#timer =
      this.#delayUs >= 1000
        ? setTimeout(this.#next, this.#delayUs / 1000)
        : setImmediate(this.#next);
  };

  readonly #next = (): void => {
    this.#timer = undefined;
    if (this.#current !== undefined) this.#emit();
    else this.#startNext();
  };
}
