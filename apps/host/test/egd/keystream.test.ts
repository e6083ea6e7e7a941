import { ChaChaDrbg } from "@vmrng/devices";
import { describe, expect, it } from "vitest";
import { EGD_KEYSTREAM_BLOCK, EgdClientGenerator } from "../../src/egd/client-generator.js";
import { EGD_RESEED_INTERVAL_MS } from "../../src/egd/pool.js";
import { hex, testPool } from "./helpers.js";

/** What a generator must hand out: its key's DRBG blocks, back to back. */
function referenceStream(tag: number, blocks: number): Uint8Array {
  const { pool } = testPool(tag);
  const drbg = new ChaChaDrbg(pool.deriveKey());
  const out = new Uint8Array(blocks * EGD_KEYSTREAM_BLOCK);
  for (let i = 0; i < blocks; i++)
    out.set(drbg.generate(EGD_KEYSTREAM_BLOCK), i * EGD_KEYSTREAM_BLOCK);
  return out;
}

describe("EgdClientGenerator keystream buffer", () => {
  it("hands out the DRBG's blocks exactly, in order, never a byte twice, whatever the sizes", () => {
    const ref = referenceStream(5, 4);
    const { pool } = testPool(5);
    const g = new EgdClientGenerator(pool);
    const sizes = [64, 255, 1, 0, 200, 64, 64, 255, 3];
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; total + 255 <= ref.length; i++) {
      const n = sizes[i % sizes.length]!;
      const part = g.generate(n);
      expect(part).toHaveLength(n);
      parts.push(part.slice());
      total += n;
      // prefill() between requests (as the connection does) must not skip or repeat bytes.
      if (i % 3 === 0) g.prefill();
    }
    expect(hex(Buffer.concat(parts))).toBe(hex(ref.subarray(0, total)));
    expect(g.blockCount).toBe(4);
  });

  it("prefill tops up only below one largest request, off the request path", () => {
    const { pool } = testPool(6);
    const g = new EgdClientGenerator(pool);
    expect(g.buffered).toBe(0);
    g.prefill();
    expect(g.blockCount).toBe(1);
    expect(g.buffered).toBe(EGD_KEYSTREAM_BLOCK);
    g.prefill(); // plenty left: nothing generated
    expect(g.blockCount).toBe(1);
    while (g.buffered >= 255) g.generate(64);
    const left = g.buffered;
    g.prefill();
    expect(g.blockCount).toBe(2);
    expect(g.buffered).toBe(left + EGD_KEYSTREAM_BLOCK);
    // A 255-byte request right after is served from the buffer: no new block.
    g.generate(255);
    expect(g.blockCount).toBe(2);
  });

  it("a slice already handed out is never overwritten by later refills (a pending write reads it)", () => {
    const { pool } = testPool(8);
    const g = new EgdClientGenerator(pool);
    const first = g.generate(64);
    const copy = first.slice();
    for (let i = 0; i < 3 * (EGD_KEYSTREAM_BLOCK / 64); i++) g.generate(64);
    expect(hex(first)).toBe(hex(copy));
  });

  it("a reseed discards the buffered keystream: the next bytes come from a new-generation key", () => {
    const { pool, clock, seedCalls } = testPool(9);
    const g = new EgdClientGenerator(pool);
    const oldStream = referenceStream(9, 1);
    expect(hex(g.generate(64))).toBe(hex(oldStream.subarray(0, 64)));
    const fp = g.fingerprint();
    clock.advance(EGD_RESEED_INTERVAL_MS);
    const next = g.generate(64);
    expect(pool.generation).toBe(2);
    expect(seedCalls()).toBe(2);
    expect(g.fingerprint()).not.toBe(fp);
    // Not the old buffer's next 64 bytes, though 4032 of them were still buffered.
    expect(hex(next)).not.toBe(hex(oldStream.subarray(64, 128)));
    expect(g.blockCount).toBe(2);
    expect(g.buffered).toBe(EGD_KEYSTREAM_BLOCK - 64);
  });
});
