import { describe, expect, it } from "vitest";
import { chacha20Block, chachaInit, newChachaState } from "../src/crypto/chacha20.js";
import { Crng, type CrngEvent, ManualClock, NoArchRandom } from "../src/index.js";
import { boot, credit, hex } from "./helpers.js";

/** One ChaCha20 block of (key, counter, zero nonce): the reference for fast key erasure. */
function block(key: Uint8Array, counter = 0): Uint8Array {
  const st = newChachaState();
  chachaInit(st, key);
  st[12] = counter;
  const out = new Uint8Array(64);
  chacha20Block(st, out);
  return out;
}

function periodicTimes(events: CrngEvent[]): number[] {
  return events.filter((e) => e.kind === "crng-reseed" && e.reason === "periodic").map((e) => e.at);
}

// crng_reseed_interval(): max(1 s, floor(uptime_s) / 2 s) below 120 s of uptime, then 60 s.
const EXPECTED_AFTER_READY_AT_500 = [
  1500, 2500, 3500, 4500, 6500, 9500, 13500, 19500, 28500, 42500, 63500, 94500, 141500, 201500,
  261500,
];

describe("the periodic reseed (crng_reseed's self-queued delayed work)", () => {
  it("follows crng_reseed_interval() across the 120 s boundary, one generation per run", () => {
    const { clock, crng } = boot();
    clock.set(500);
    credit(crng, 256);
    expect(crng.nextReseedAt()).toBe(1500);
    const seen: CrngEvent[] = [];
    crng.onEvent((e) => seen.push(e));
    for (let t = 500; t <= 262_000; t += 250) {
      clock.set(t);
      crng.tick();
    }
    expect(periodicTimes(seen)).toEqual(EXPECTED_AFTER_READY_AT_500);
    expect(crng.generation).toBe(1n + BigInt(EXPECTED_AFTER_READY_AT_500.length));
    expect(crng.nextReseedAt()).toBe(321_500);
  });

  it("is the same whether the host ticks often or once (timers run at their own expiry)", () => {
    const a = boot({ hz: 250 });
    const b = boot({ hz: 250 });
    for (const x of [a, b]) {
      x.clock.set(500);
      credit(x.crng, 256);
    }
    for (let t = 500; t <= 262_000; t += 10) {
      a.clock.set(t);
      a.crng.tick();
    }
    b.clock.set(262_000);
    const evB: CrngEvent[] = [];
    b.crng.onEvent((e) => evB.push(e));
    b.crng.tick();
    expect(periodicTimes(evB)).toEqual(EXPECTED_AFTER_READY_AT_500);
    expect(hex(a.crng.getrandom(64))).toBe(hex(b.crng.getrandom(64)));
  });

  it("is not armed before workqueues exist; random_init() arms it", () => {
    const { clock, crng } = boot({ workqueuesOnline: false });
    crng.addBootloaderRandomness(new Uint8Array(32));
    expect(crng.initState).toBe("READY");
    expect(crng.nextReseedAt()).toBeNull();
    clock.set(30);
    crng.randomInit(1_700_000_000_000_000_000n);
    expect(crng.generation).toBe(2n);
    expect(crng.nextReseedAt()).toBe(1030);
  });

  it("an extra crng_reseed() (vmfork) does not move the pending work", () => {
    const { clock, crng } = boot();
    credit(crng, 256);
    clock.set(400);
    crng.addVmforkRandomness(new Uint8Array(16).fill(3));
    expect(crng.generation).toBe(2n);
    expect(crng.nextReseedAt()).toBe(1000);
  });
});

describe("per-CPU crngs and fast key erasure, checked against a ChaCha20 reference", () => {
  it("a per-CPU key is derived from base_crng when stale, then erased on every use", () => {
    const { crng } = boot({ cpus: 2 });
    credit(crng, 256);
    const s0 = crng.serialize();
    const base0 = s0.base.key;
    expect(s0.crngs.map((c) => c.generation)).toEqual([(1n << 64n) - 1n, (1n << 64n) - 1n]);

    // cpu 0 is stale: base key -> block; new base = [0,32), cpu key = [32,64).
    const b = block(base0);
    const base1 = b.slice(0, 32);
    const cpuKey = b.slice(32, 64);
    // Then fast key erasure on the cpu key: output = [32,64) of its block.
    const c = block(cpuKey);
    expect(hex(crng.sysGetrandom(32, 0, 0))).toBe(hex(c.subarray(32, 64)));
    const s1 = crng.serialize();
    expect(hex(s1.base.key)).toBe(hex(base1));
    expect(hex(s1.crngs[0]!.key)).toBe(hex(c.subarray(0, 32)));
    expect(s1.crngs[0]!.generation).toBe(1n);
    expect(s1.crngs[1]!.generation).toBe((1n << 64n) - 1n); // cpu 1 untouched

    // A short read returns the first bytes of the same 32.
    const c2 = block(c.subarray(0, 32));
    expect(hex(crng.sysGetrandom(5, 0, 0))).toBe(hex(c2.subarray(32, 37)));
  });

  it("get_random_bytes_user() past 32 bytes: blocks keyed by the 32 fresh bytes, from counter 1", () => {
    const { crng } = boot();
    credit(crng, 256);
    crng.sysGetrandom(1); // derive the cpu key
    const k = crng.serialize().crngs[0]!.key;
    const first = block(k);
    const stateKey = first.subarray(32, 64);
    const want = new Uint8Array([...block(stateKey, 1), ...block(stateKey, 2)]).subarray(0, 100);
    expect(hex(crng.sysGetrandom(100))).toBe(hex(want));
  });

  it("in-kernel get_random_bytes(): 32 bytes from erasure, then blocks of the OLD key from counter 1", () => {
    const { crng } = boot();
    credit(crng, 256);
    crng.getRandomBytes(1);
    const k = crng.serialize().crngs[0]!.key;
    const first = block(k);
    const want = new Uint8Array([...first.subarray(32, 64), ...block(k, 1), ...block(k, 2)]);
    expect(hex(crng.getRandomBytes(100))).toBe(hex(want.subarray(0, 100)));
  });

  it("every per-CPU key is refreshed after a base reseed, each on its next use", () => {
    const { clock, crng } = boot({ cpus: 3 });
    credit(crng, 256);
    for (let cpu = 0; cpu < 3; cpu++) crng.sysGetrandom(8, 0, cpu);
    expect(crng.serialize().crngs.map((c) => c.generation)).toEqual([1n, 1n, 1n]);
    clock.set(1000); // periodic reseed
    expect(crng.generation).toBe(2n);
    const before = crng.serialize();
    const base = before.base.key;
    crng.sysGetrandom(8, 0, 1);
    const after = crng.serialize();
    expect(after.crngs.map((c) => c.generation)).toEqual([1n, 2n, 1n]);
    // cpu 1's key came from base_crng's new key (erased in the process).
    const b = block(base);
    expect(hex(after.base.key)).toBe(hex(b.subarray(0, 32)));
    expect(hex(after.crngs[1]!.key)).toBe(hex(block(b.subarray(32, 64)).subarray(0, 32)));
  });

  it("skips ULONG_MAX when the generation wraps (snapshot at ULONG_MAX - 2)", () => {
    const { crng } = boot();
    credit(crng, 256);
    const snap = crng.serialize();
    snap.base.generation = (1n << 64n) - 3n;
    const clock = new ManualClock();
    const c = Crng.restore(snap, { clock, arch: new NoArchRandom() });
    c.ioctlReseedCrng();
    expect(c.generation).toBe((1n << 64n) - 2n);
    c.ioctlReseedCrng();
    expect(c.generation).toBe(0n); // ULONG_MAX skipped
    expect(c.serialize().vdsoData.generation).toBe(1n);
    // Per-CPU crngs start at ULONG_MAX, so a fresh CPU still re-keys at generation 0.
    c.sysGetrandom(8);
    expect(c.serialize().crngs[0]!.generation).toBe(0n);
  });
});

describe("add_vmfork_randomness()", () => {
  it("before READY only mixes: no reseed, no event, entropy unchanged; the notifier chain still runs", () => {
    const { crng } = boot();
    credit(crng, 200);
    crng.drainEvents();
    let calls = 0;
    crng.registerVmforkNotifier(() => calls++);
    const before = crng.serialize();
    crng.addVmforkRandomness(new Uint8Array(16).fill(9));
    expect(calls).toBe(1);
    expect(crng.generation).toBe(0n);
    expect(crng.entropyAvail).toBe(200);
    expect(crng.drainEvents()).toEqual([]);
    expect(hex(crng.serialize().pool.h) + crng.serialize().pool.buflen).not.toBe(
      hex(before.pool.h) + before.pool.buflen,
    );
  });

  it("after READY reseeds, prints the notice, then runs the notifiers (which see the new generation)", () => {
    const { clock, crng } = boot();
    credit(crng, 256);
    clock.set(250);
    crng.drainEvents();
    const seenGen: bigint[] = [];
    const off = crng.registerVmforkNotifier(() => seenGen.push(crng.generation));
    crng.addVmforkRandomness(new Uint8Array(16).fill(9));
    expect(crng.generation).toBe(2n);
    expect(seenGen).toEqual([2n]);
    const ev = crng.drainEvents();
    expect(ev.map((e) => [e.kind, e.at])).toEqual([
      ["crng-reseed", 250],
      ["vmfork-reseed", 250],
    ]);
    expect(ev[0]).toMatchObject({ reason: "vmfork" });
    expect(ev[1]!.message).toBe("random: crng reseeded due to virtual machine fork");
    expect(ev[1]!.printk).toBe(true);
    off();
    crng.addVmforkRandomness(new Uint8Array(16).fill(8));
    expect(seenGen).toEqual([2n]);
  });

  it("two clones that get different VM ids diverge; the same id keeps them equal", () => {
    const { crng } = boot();
    credit(crng, 256);
    const snap = crng.serialize();
    const mk = () =>
      Crng.restore(structuredClone(snap), { clock: new ManualClock(), arch: new NoArchRandom() });
    const a = mk();
    const b = mk();
    const c = mk();
    a.addVmforkRandomness(new Uint8Array(16).fill(1));
    b.addVmforkRandomness(new Uint8Array(16).fill(2));
    c.addVmforkRandomness(new Uint8Array(16).fill(1));
    const ra = hex(a.getrandom(32));
    expect(hex(b.getrandom(32))).not.toBe(ra);
    expect(hex(c.getrandom(32))).toBe(ra);
  });
});
