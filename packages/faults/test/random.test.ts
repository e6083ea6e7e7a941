import { createCipheriv } from "node:crypto";
import { blake2sKeyed } from "@vmrng/crng";
import { FaultError, SeededRandom } from "@vmrng/faults";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const enc = new TextEncoder();

/** RFC 8439 ChaCha20 keystream from OpenSSL: an implementation independent of @vmrng/crng's. */
function opensslKeystream(key: Uint8Array, n: number): Uint8Array {
  const iv = Buffer.alloc(16); // counter 0, nonce 0
  const c = createCipheriv("chacha20", key, iv);
  return new Uint8Array(c.update(Buffer.alloc(n)));
}

describe("SeededRandom", () => {
  it("is the ChaCha20 keystream under BLAKE2s(domain; seed), as documented", () => {
    const key = blake2sKeyed(enc.encode("vmrng.faults.SeededRandom.v1"), enc.encode("i:42"), 32);
    expect(new SeededRandom(42).bytes(200)).toEqual(opensslKeystream(key, 200));
    const skey = blake2sKeyed(
      enc.encode("vmrng.faults.SeededRandom.v1"),
      enc.encode("s:run-a"),
      32,
    );
    expect(new SeededRandom("run-a").bytes(64)).toEqual(opensslKeystream(skey, 64));
  });

  it("gives the same draws for the same seed, across split reads", () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const whole = a.bytes(150);
    const parts = new Uint8Array([...b.bytes(3), ...b.bytes(61), ...b.bytes(1), ...b.bytes(85)]);
    expect(parts).toEqual(whole);
    expect(new SeededRandom(7n).bytes(32)).toEqual(new SeededRandom(7).bytes(32));
  });

  it("different seeds give different streams; a string is not the same integer", () => {
    expect(new SeededRandom(1).bytes(32)).not.toEqual(new SeededRandom(2).bytes(32));
    expect(new SeededRandom("1").bytes(32)).not.toEqual(new SeededRandom(1).bytes(32));
  });

  it("refuses a seed that is not an integer or a string", () => {
    for (const bad of [1.5, Number.NaN, 2 ** 60]) {
      try {
        new SeededRandom(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(FaultError);
        expect((e as FaultError).code).toBe("E_FAULT_SEED");
        expect((e as Error).message).toMatch(/safe integer, a bigint or a string/);
      }
    }
  });

  it("float is in [0,1), int in range, pick from the array (property)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, max) => {
        const r = new SeededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const f = r.float();
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThan(1);
          const n = r.int(max);
          expect(Number.isInteger(n) && n >= 0 && n < max).toBe(true);
        }
      }),
    );
    const xs = ["a", "b", "c"] as const;
    const r = new SeededRandom(3);
    for (let i = 0; i < 50; i++) expect(xs).toContain(r.pick(xs));
    expect(() => r.pick([])).toThrow(RangeError);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(2 ** 32 + 1)).toThrow(RangeError);
  });

  it("int is not grossly biased: all 6 faces appear near 1/6 of 6000 draws", () => {
    const r = new SeededRandom(99);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[r.int(6)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    for (const c of counts) expect(c).toBeLessThan(1150);
  });

  it("fork(label) is independent of draws made on the parent and on other forks", () => {
    const a = new SeededRandom(5);
    const b = new SeededRandom(5);
    b.bytes(1000); // draws on the parent must not shift a fork
    b.fork("schedule").bytes(10); // nor draws on a sibling
    expect(a.fork("targets").bytes(64)).toEqual(b.fork("targets").bytes(64));
    expect(a.fork("targets").bytes(32)).not.toEqual(a.fork("schedule").bytes(32));
    expect(a.fork("targets").bytes(32)).not.toEqual(new SeededRandom(5).bytes(32));
    expect(new SeededRandom(6).fork("targets").bytes(32)).not.toEqual(a.fork("targets").bytes(32));
    // Forks of forks are deterministic too.
    expect(a.fork("x").fork("y").bytes(16)).toEqual(b.fork("x").fork("y").bytes(16));
  });

  it("asFunction draws floats from the same stream", () => {
    const f = new SeededRandom(11).asFunction();
    const r = new SeededRandom(11);
    expect([f(), f(), f()]).toEqual([r.float(), r.float(), r.float()]);
  });
});
