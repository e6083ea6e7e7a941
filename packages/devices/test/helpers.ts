import { blake2s } from "@noble/hashes/blake2.js";
import type { EntropySink } from "../src/index.js";

export type SinkCall =
  | { fn: "bootloader"; buf: Uint8Array }
  | { fn: "device"; buf: Uint8Array }
  | { fn: "hwgen"; buf: Uint8Array; bits: number; sleepAfter: boolean }
  | { fn: "vmfork"; id: Uint8Array };

/** Records every call with a copy of the bytes; add_hwgenerator_randomness returns `sleepMs`. */
export class RecordingSink implements EntropySink {
  calls: SinkCall[] = [];
  sleepMs = 0;

  addBootloaderRandomness(buf: Uint8Array): void {
    this.calls.push({ fn: "bootloader", buf: buf.slice() });
  }
  addDeviceRandomness(buf: Uint8Array): void {
    this.calls.push({ fn: "device", buf: buf.slice() });
  }
  addHwgeneratorRandomness(buf: Uint8Array, bits: number, sleepAfter: boolean): number {
    this.calls.push({ fn: "hwgen", buf: buf.slice(), bits, sleepAfter });
    return sleepAfter ? this.sleepMs : 0;
  }
  addVmforkRandomness(id: Uint8Array): void {
    this.calls.push({ fn: "vmfork", id: id.slice() });
  }

  of<K extends SinkCall["fn"]>(fn: K): Extract<SinkCall, { fn: K }>[] {
    return this.calls.filter((c): c is Extract<SinkCall, { fn: K }> => c.fn === fn);
  }
}

/** Deterministic byte source for tests: a counter-mode BLAKE2s stream from a label. */
export function testBytes(label: string): (n: number) => Uint8Array {
  let ctr = 0;
  const enc = new TextEncoder();
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = blake2s(enc.encode(`${label}/${ctr++}`));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

/**
 * A tiny deterministic stand-in for the guest CRNG: every input is hashed into the state and
 * outputs are a hash of the state, so two guests produce identical output iff they received
 * identical inputs. Enough to show duplicate output across clones.
 */
export class ModelCrng implements EntropySink {
  private state: Uint8Array;
  forks = 0;
  constructor(seed: Uint8Array) {
    this.state = blake2s(seed);
  }
  private mix(tag: string, b: Uint8Array): void {
    const t = new TextEncoder().encode(tag);
    const m = new Uint8Array(32 + t.length + b.length);
    m.set(this.state);
    m.set(t, 32);
    m.set(b, 32 + t.length);
    this.state = blake2s(m);
  }
  addBootloaderRandomness(buf: Uint8Array): void {
    this.mix("boot", buf);
  }
  addDeviceRandomness(buf: Uint8Array): void {
    this.mix("dev", buf);
  }
  addHwgeneratorRandomness(buf: Uint8Array): number {
    this.mix("hw", buf);
    return 0;
  }
  addVmforkRandomness(id: Uint8Array): void {
    this.forks += 1;
    this.mix("fork", id);
  }
  output(): Uint8Array {
    const out = blake2s(this.state, { key: new Uint8Array(32).fill(1) });
    this.mix("next", new Uint8Array(0));
    return out;
  }
  get stateBytes(): Uint8Array {
    return this.state.slice();
  }
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex");
