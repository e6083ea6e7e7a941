import { describe, expect, it } from "vitest";
import { EGD_KEYSTREAM_BLOCK, EgdClientGenerator } from "../../src/egd/client-generator.js";
import { EGD_RESEED_INTERVAL_MS } from "../../src/egd/pool.js";
import { hex, testPool } from "./helpers.js";

describe("EgdEntropyPool and client generators", () => {
  it("gives each client its own stream, repeatable from the same OS seed", () => {
    const a = testPool(7);
    const b = testPool(7);
    const a1 = new EgdClientGenerator(a.pool);
    const a2 = new EgdClientGenerator(a.pool);
    const b1 = new EgdClientGenerator(b.pool);
    const x = a1.generate(64);
    expect(x).toHaveLength(64);
    expect(hex(b1.generate(64))).toBe(hex(x));
    expect(hex(a2.generate(64))).not.toBe(hex(x));
    // Fast key erasure: the next block is never the same as the last.
    expect(hex(a1.generate(64))).not.toBe(hex(x));
  });

  it("reseeds from the OS after the interval, bumping the generation every client follows", () => {
    const { pool, clock, seedCalls } = testPool(1);
    const g = new EgdClientGenerator(pool);
    g.generate(32);
    expect(pool.generation).toBe(1);
    expect(seedCalls()).toBe(1);
    clock.advance(EGD_RESEED_INTERVAL_MS - 1);
    const before = g.fingerprint();
    g.generate(EGD_KEYSTREAM_BLOCK); // past the buffered block: the next one is generated
    expect(pool.generation).toBe(1);
    expect(seedCalls()).toBe(1);
    expect(g.fingerprint()).not.toBe(before); // key erasure moved it, not a reseed
    clock.advance(1);
    g.generate(32);
    expect(pool.generation).toBe(2);
    expect(pool.reseedCount).toBe(1);
    expect(seedCalls()).toBe(2);
  });

  it("reseeds after the byte budget even within the interval", () => {
    const { pool } = testPool(1, { reseedBytes: 1000 });
    const g = new EgdClientGenerator(pool);
    for (let i = 0; i < 4; i++) g.generate(255);
    expect(pool.generation).toBe(1); // 1020 served, checked before the 4th draw: 765 < 1000
    g.generate(1);
    expect(pool.generation).toBe(2);
  });

  it("0x03 input: mixed into the pool key, never a reseed, never changing a live client's bytes", () => {
    // Two identical worlds; in one, client A mixes 200 chosen bytes before B reads on.
    const w1 = testPool(3);
    const w2 = testPool(3);
    const b1 = new EgdClientGenerator(w1.pool);
    const b2 = new EgdClientGenerator(w2.pool);
    expect(hex(b1.generate(64))).toBe(hex(b2.generate(64)));
    const fp = w1.pool.fingerprint();
    w1.pool.mix(new Uint8Array(200).fill(0x41));
    expect(w1.pool.fingerprint()).not.toBe(fp);
    expect(w1.pool.generation).toBe(w2.pool.generation);
    expect(w1.pool.reseedCount).toBe(0);
    expect(w1.pool.mixCount).toBe(1);
    // B's stream is byte-identical in both worlds: bytes promised to it never move.
    for (let i = 0; i < 8; i++) expect(hex(b1.generate(255))).toBe(hex(b2.generate(255)));
    // A client connecting later does get a key that depends on the input…
    const late1 = new EgdClientGenerator(w1.pool);
    const late2 = new EgdClientGenerator(w2.pool);
    expect(hex(late1.generate(32))).not.toBe(hex(late2.generate(32)));
  });

  it("the mix is keyed: the same chosen input moves pools with different keys unrelatedly", () => {
    // Whoever picks the input cannot know the result without the pool key: equal inputs on
    // different keys give unrelated outputs, and mixing is no XOR that a repeat would undo.
    const input = new Uint8Array(32).fill(0x5a);
    const p = testPool(10);
    const q = testPool(11);
    const before = [
      new EgdClientGenerator(p.pool).generate(32),
      new EgdClientGenerator(q.pool).generate(32),
    ];
    p.pool.mix(input);
    q.pool.mix(input);
    const after = [
      new EgdClientGenerator(p.pool).generate(32),
      new EgdClientGenerator(q.pool).generate(32),
    ];
    const xor = (a: Uint8Array, b: Uint8Array) => a.map((v, i) => v ^ b[i]!);
    expect(hex(xor(before[0]!, after[0]!))).not.toBe(hex(xor(before[1]!, after[1]!)));
    const r = testPool(12);
    const fp0 = r.pool.fingerprint();
    r.pool.mix(input);
    r.pool.mix(input);
    expect(r.pool.fingerprint()).not.toBe(fp0);
  });
});
