import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Crng,
  type CrngEvent,
  type CrngSnapshot,
  GRND_INSECURE,
  ManualClock,
  NoArchRandom,
} from "../src/index.js";
import { hex } from "./helpers.js";

interface Guest {
  clock: ManualClock;
  arch: NoArchRandom;
  crng: Crng;
  events: CrngEvent[];
}

function guest(opts: { cpus?: number } = {}): Guest {
  const clock = new ManualClock();
  const arch = new NoArchRandom();
  const crng = new Crng({ clock, arch, cpus: opts.cpus ?? 2, vdsoBatchBlocks: 4 });
  const events: CrngEvent[] = [];
  crng.onEvent((e) => events.push(e));
  return { clock, arch, crng, events };
}

/** A copy of `g` restored from a snapshot, with a clock and an arch in the same state. */
function cloneOf(g: Guest, snap: CrngSnapshot): Guest {
  const clock = new ManualClock(g.clock.now());
  const arch = new NoArchRandom(1000n, g.arch.counter);
  const crng = Crng.restore(snap, { clock, arch });
  const events: CrngEvent[] = [];
  crng.onEvent((e) => events.push(e));
  return { clock, arch, crng, events };
}

/** The same inputs at the same virtual times; returns every output byte as hex. */
async function script(g: Guest): Promise<string[]> {
  const out: string[] = [];
  const { clock, crng } = g;
  out.push(hex(crng.getrandom(40, GRND_INSECURE, 1)));
  clock.advance(3);
  crng.addInterruptRandomness(7, 0);
  crng.addInterruptRandomness(8, 1);
  clock.advance(2);
  crng.addHwgeneratorRandomness(new Uint8Array(64).fill(1), 200, true);
  out.push(hex(crng.sysGetrandom(100, GRND_INSECURE, 0)));
  const waiting = crng.getrandomAsync(48, 0, 1);
  clock.advance(200); // jitter ticks finish the job
  crng.tick();
  out.push(hex(await waiting));
  for (let i = 0; i < 40; i++) {
    clock.advance(700);
    out.push(hex(crng.getrandom(1 + ((i * 37) % 300), 0, i % 2)));
    if (i % 9 === 0) crng.addVmforkRandomness(new Uint8Array(16).fill(i));
  }
  out.push(hex(crng.getRandomBytes(70, 1)));
  return out;
}

describe("serialize() / Crng.restore()", () => {
  it("a restored copy fed the same inputs repeats the original byte for byte, also after structuredClone", async () => {
    const g = guest();
    g.crng.addDeviceRandomness(new TextEncoder().encode("52:54:00:12:34:56"));
    g.crng.addBootloaderRandomness(new Uint8Array(8).fill(9)); // 64 bits: still EMPTY
    g.crng.addInterruptRandomness(3, 1);
    const snap = g.crng.serialize();
    const a = cloneOf(g, snap);
    const b = cloneOf(g, structuredClone(snap));
    const [o, x, y] = [await script(g), await script(a), await script(b)];
    expect(x).toEqual(o);
    expect(y).toEqual(o);
    const strip = (ev: CrngEvent[]) => ev.map((e) => `${e.at} ${e.kind} ${e.message}`);
    expect(strip(a.events)).toEqual(strip(g.events));
    expect(strip(b.events)).toEqual(strip(g.events));
    expect(g.events.some((e) => e.kind === "crng-init-done")).toBe(true);
  });

  it("round-trips mid-flight state: pending mix timers, the jitter loop, a partly used batch", async () => {
    const g = guest();
    g.crng.addHwgeneratorRandomness(new Uint8Array(32), 100, false);
    const waiting = g.crng.waitForReady(); // starts the jitter loop
    g.clock.advance(50);
    g.crng.addInterruptRandomness(1, 0);
    const snap = g.crng.serialize();
    expect(snap.jitter.phase).toBe("running");
    expect(snap.fastPools[0]!.mixDueAt).not.toBeNull();
    const c = cloneOf(g, structuredClone(snap));
    for (const x of [g, c]) {
      x.clock.advance(500);
      x.crng.tick();
    }
    await waiting;
    expect(c.crng.isReady).toBe(true);
    const reads = (x: Guest) => [hex(x.crng.getrandom(10)), hex(x.crng.getrandom(300, 0, 1))];
    expect(reads(c)).toEqual(reads(g));
    const s2 = g.crng.serialize();
    expect(structuredClone(s2)).toEqual(s2);
    expect(Crng.restore(s2, { clock: new ManualClock(g.clock.now()) }).serialize()).toEqual(s2);
  });

  it("rejects malformed snapshots with a typed error that names the field", () => {
    const g = guest();
    const good = g.crng.serialize();
    const mutate = (f: (s: Record<string, unknown>) => void): unknown => {
      const s = structuredClone(good) as unknown as Record<string, unknown>;
      f(s);
      return s;
    };
    const cases: Array<[unknown, RegExp]> = [
      [null, /snapshot must be an object/],
      [mutate((s) => (s.format = "other")), /snapshot\.format/],
      [mutate((s) => (s.version = 2)), /snapshot\.version/],
      [
        mutate((s) => ((s.base as { key: Uint8Array }).key = new Uint8Array(31))),
        /snapshot\.base\.key must be 32 bytes/,
      ],
      [
        mutate((s) => ((s.base as { generation: unknown }).generation = -1n)),
        /base\.generation must be a u64/,
      ],
      [mutate((s) => (s.crngs as unknown[]).pop()), /snapshot\.crngs must have 2 elements/],
      [mutate((s) => ((s.pool as { initBits: number }).initBits = 257)), /pool\.initBits/],
      [mutate((s) => (s.crngInit = 2)), /must be 256 once crng_init is CRNG_READY/],
      [mutate((s) => ((s.jitter as { phase: string }).phase = "spinning")), /jitter\.phase/],
      [mutate((s) => ((s.config as { hz: number }).hz = 512)), /config\.hz/],
      [
        mutate((s) => ((s.fastPools as { pool: unknown[] }[])[1]!.pool[2] = 5)),
        /fastPools\[1\]\.pool\[2\]/,
      ],
      [mutate((s) => delete s.vdsoData), /vdsoData must be an object/],
    ];
    for (const [snap, msg] of cases) {
      expect(() => Crng.restore(snap, { clock: new ManualClock() })).toThrow(
        expect.objectContaining({
          name: "CrngError",
          code: "EBADSNAPSHOT",
          message: expect.stringMatching(msg),
        }),
      );
    }
  });

  it("two CRNGs with different input histories never agree", () => {
    // Histories whose mixed byte streams differ: add_device_randomness() prefixes each buffer
    // with the cycle counter (a multiple of 8 here), hwrng buffers are 32 bytes starting 0xff,
    // so no two different histories can hash the same stream. (Splitting one raw write in two,
    // or interrupts still sitting in a fast pool, legitimately leave the pool unchanged.)
    const step = fc.oneof(
      fc.record({ kind: fc.constant("device"), data: fc.uint8Array({ maxLength: 48 }) }),
      fc.record({
        kind: fc.constant("hwrng"),
        data: fc.uint8Array({ minLength: 31, maxLength: 31 }).map((d) => Uint8Array.of(0xff, ...d)),
      }),
    );
    const history = fc.array(step, { maxLength: 8 });
    const run = (h: Array<{ kind: string; data: Uint8Array }>): string[] => {
      const c = new Crng({ clock: new ManualClock(), arch: new NoArchRandom() });
      for (const st of h) {
        if (st.kind === "device") c.addDeviceRandomness(st.data);
        else c.addHwgeneratorRandomness(st.data, 0, false);
      }
      c.addHwgeneratorRandomness(new Uint8Array(32), 256, false); // same credit for both: READY
      return [hex(c.getrandom(32)), hex(c.sysGetrandom(64)), hex(c.getRandomBytes(16))];
    };
    const key = (h: Array<{ kind: string; data: Uint8Array }>) =>
      JSON.stringify(h.map((s) => [s.kind, hex(s.data)]));
    fc.assert(
      fc.property(history, history, (h1, h2) => {
        fc.pre(key(h1) !== key(h2));
        const [a, b] = [run(h1), run(h2)];
        for (let i = 0; i < a.length; i++) expect(a[i]).not.toBe(b[i]);
      }),
      { numRuns: 300 },
    );
  });
});
