import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chacha20Block, chachaInit, newChachaState } from "../src/crypto/chacha20.js";
import { Crng, ManualClock, NoArchRandom } from "../src/index.js";
import { boot, credit, hex } from "./helpers.js";

/** ChaCha20(key, nonce 0, 64-bit counter from `from`), `n` blocks: __arch_chacha20_blocks_nostack. */
function stream(key: Uint8Array, from: number, n: number): Uint8Array {
  const st = newChachaState();
  chachaInit(st, key);
  st[12] = from;
  const out = new Uint8Array(64 * n);
  for (let i = 0; i < n; i++) chacha20Block(st, out, 64 * i);
  return out;
}

describe("__cvdso_getrandom_data() layout, against a ChaCha20 reference", () => {
  it("direct blocks, then a 2-block batch_key refill whose tail becomes the next key", () => {
    const { crng } = boot();
    credit(crng, 256);
    const st = crng.openVgetrandomState();
    crng.vgetrandom(st, 1); // adopt the current generation and a key from the syscall
    // Plant a known key and an empty batch (pos = sizeof(batch) = 96).
    const K = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
    st.batchKey.set(K, 96);
    st.pos = 96;

    // 100 bytes: 1 direct block (counter 0), refill with counters 1-2, 36 bytes from the batch.
    const s0 = stream(K, 0, 3);
    const a = crng.vgetrandom(st, 100);
    expect(hex(a)).toBe(hex(new Uint8Array([...s0.subarray(0, 64), ...s0.subarray(64, 100)])));
    const K2 = s0.subarray(64 + 96, 64 + 128); // key = last 32 bytes of batch_key
    expect(hex(st.batchKey.subarray(96))).toBe(hex(K2));
    expect(st.pos).toBe(36);
    // Served bytes are zeroed in the batch (memcpy_and_zero_src).
    expect(st.batchKey.subarray(0, 36).every((b) => b === 0)).toBe(true);

    // 60 more: the rest of the batch.
    expect(hex(crng.vgetrandom(st, 60))).toBe(hex(s0.subarray(64 + 36, 64 + 96)));
    // 1 more: batch empty, no whole block, refill under K2 from counter 0.
    expect(hex(crng.vgetrandom(st, 1))).toBe(hex(stream(K2, 0, 1).subarray(0, 1)));
  });

  it("a read that ends on a block boundary still refills (and erases the key)", () => {
    const { crng } = boot();
    credit(crng, 256);
    const st = crng.openVgetrandomState();
    crng.vgetrandom(st, 1);
    const K = new Uint8Array(32).fill(7);
    st.batchKey.set(K, 96);
    st.pos = 96;
    const s = stream(K, 0, 3);
    expect(hex(crng.vgetrandom(st, 64))).toBe(hex(s.subarray(0, 64)));
    expect(st.pos).toBe(0);
    expect(hex(st.batchKey.subarray(96))).toBe(hex(s.subarray(160, 192)));
  });

  it("a new generation re-keys from getrandom(32, 0) before serving anything", () => {
    const { clock, crng } = boot();
    credit(crng, 256);
    const st = crng.openVgetrandomState();
    crng.vgetrandom(st, 10);
    expect(st.generation).toBe(2n); // base generation 1, published as 1 + 1
    clock.set(1000); // periodic reseed -> generation 2
    crng.vgetrandom(st, 10);
    expect(st.generation).toBe(3n);
  });
});

type Op =
  | { op: "read"; len: number; cpu: number }
  | { op: "advance"; ms: number }
  | { op: "vmfork"; id: number }
  | { op: "ioctl" }
  | { op: "hwrng"; fill: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("read" as const),
      len: fc.integer({ min: 1, max: 300 }),
      cpu: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      ms: fc.integer({ min: 1, max: 90_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("vmfork" as const),
      id: fc.integer({ min: 0, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("ioctl" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("hwrng" as const),
      fill: fc.integer({ min: 0, max: 255 }),
    }),
  },
);

/** Every 16-byte window of `b`, as hex. */
function windows(b: Uint8Array): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 16 <= b.length; i++) out.add(hex(b.subarray(i, i + 16)));
  return out;
}

describe("batched bytes never survive a reseed or a VM fork", () => {
  for (const blocks of [2, 64]) {
    it(`property, batch_key of ${blocks} blocks`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
          const clock = new ManualClock();
          const crng = new Crng({
            clock,
            arch: new NoArchRandom(),
            cpus: 2,
            vdsoBatchBlocks: blocks,
          });
          crng.addBootloaderRandomness(new Uint8Array(32).fill(1));
          crng.getrandom(1, 0, 0);
          crng.getrandom(1, 0, 1);
          for (const o of ops) {
            // What is left in each CPU's batch right now, and the generation it belongs to.
            const snap = crng.serialize();
            const gen = snap.vdsoData.generation;
            const leftovers = snap.libcStates.map((s, cpu) => ({
              cpu,
              gen: s.generation,
              rest: windows(s.batchKey.subarray(s.pos, s.batchKey.length - 32)),
            }));
            if (o.op === "advance") clock.advance(o.ms);
            else if (o.op === "vmfork") crng.addVmforkRandomness(new Uint8Array(16).fill(o.id));
            else if (o.op === "ioctl") crng.ioctlReseedCrng();
            else if (o.op === "hwrng")
              crng.addHwgeneratorRandomness(new Uint8Array(64).fill(o.fill), 512, true);
            else {
              const before = crng.serialize().vdsoData.generation;
              const out = crng.getrandom(o.len, 0, o.cpu);
              const now = crng.serialize();
              expect(now.libcStates[o.cpu]!.generation).toBe(now.vdsoData.generation);
              if (before !== gen) {
                // A reseed happened since the leftovers were recorded: none may be served.
                const old = leftovers[o.cpu]!;
                for (const w of windows(out)) expect(old.rest.has(w)).toBe(false);
              }
            }
          }
        }),
        { numRuns: blocks === 2 ? 120 : 60 },
      );
    });
  }

  it("after a vmfork the very next read differs from what the pre-fork batch would have served", () => {
    const { crng } = boot({ vdsoBatchBlocks: 64 });
    credit(crng, 256);
    crng.getrandom(8);
    const snap = crng.serialize();
    const twin = Crng.restore(structuredClone(snap), {
      clock: new ManualClock(),
      arch: new NoArchRandom(1000n, 0n),
    });
    const wouldServe = twin.getrandom(64); // no fork on the twin: straight from the old batch
    expect(hex(wouldServe)).toBe(
      hex(
        snap.libcStates[0]!.batchKey.subarray(
          snap.libcStates[0]!.pos,
          snap.libcStates[0]!.pos + 64,
        ),
      ),
    );
    crng.addVmforkRandomness(new Uint8Array(16).fill(0x42));
    const served = crng.getrandom(64);
    expect(hex(served)).not.toBe(hex(wouldServe));
    for (const w of windows(served)) expect(windows(wouldServe).has(w)).toBe(false);
  });
});
