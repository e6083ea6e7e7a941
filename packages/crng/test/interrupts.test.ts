import { describe, expect, it } from "vitest";
import { boot } from "./helpers.js";

describe("add_interrupt_randomness() / mix_interrupt_randomness()", () => {
  it("the first interrupt mixes on the next tick (last = 0 is long before INITIAL_JIFFIES) and credits 1 bit", () => {
    const { clock, crng } = boot({ jitter: { enabled: false } });
    crng.addInterruptRandomness(4);
    expect(crng.nextDeadline()).toBe(1); // expires = jiffies: the next tick at HZ=1000
    expect(crng.entropyAvail).toBe(0);
    clock.set(1);
    expect(crng.entropyAvail).toBe(1);
  });

  it("then waits for a second (strictly after last + HZ) or 1024 interrupts; 1 bit per 64 interrupts", () => {
    const { clock, crng } = boot({ jitter: { enabled: false } });
    crng.addInterruptRandomness(4);
    clock.set(2);
    expect(crng.entropyAvail).toBe(1);
    for (let i = 0; i < 1023; i++) crng.addInterruptRandomness(4);
    expect(crng.nextDeadline()).toBeNull(); // 1023 < 1024 and within the second
    crng.addInterruptRandomness(4);
    expect(crng.nextDeadline()).toBe(3);
    clock.set(3);
    expect(crng.entropyAvail).toBe(1 + 1024 / 64);
    // A slow trickle: one interrupt every 10 ms credits 1 bit per mix, a mix per second.
    for (let t = 10; t <= 5000; t += 10) {
      clock.set(t);
      crng.addInterruptRandomness(1);
    }
    clock.set(5001);
    expect(crng.entropyAvail).toBe(17 + 4); // mixes at 1.011, 2.021, 3.031, 4.041 s
  });

  it("interrupts arriving while the mix is in flight still count; credit is clamped to 128", () => {
    const { clock, crng } = boot({ jitter: { enabled: false } });
    crng.addInterruptRandomness(9);
    clock.set(1);
    expect(crng.entropyAvail).toBe(1);
    clock.set(1.5);
    for (let i = 0; i < 10_000; i++) crng.addInterruptRandomness(9);
    clock.set(2);
    expect(crng.entropyAvail).toBe(1 + 128); // 10000 / 64 = 156 -> clamp 128
    expect(crng.initState).toBe("EARLY");
  });

  it("each CPU has its own fast pool", () => {
    const { clock, crng } = boot({ cpus: 2, jitter: { enabled: false } });
    const before = crng.serialize().fastPools;
    crng.addInterruptRandomness(11, 1, 0xffffffff81234567n);
    const after = crng.serialize().fastPools;
    expect(after[0]).toEqual(before[0]);
    expect(after[1]!.pool).not.toEqual(before[1]!.pool);
    expect(after[1]!.count >>> 0).toBe((0x8000_0000 | 1) >>> 0); // MIX_INFLIGHT | 1
    clock.set(1);
    expect(crng.serialize().fastPools[1]).toMatchObject({ count: 0, mixDueAt: null });
  });

  it("a guest fed only a 250 Hz timer interrupt reaches READY after ~85 s of virtual time (3 bits per once-a-second mix)", () => {
    const { clock, crng } = boot({ jitter: { enabled: false } });
    let readyAt = -1;
    crng.onEvent((e) => {
      if (e.kind === "crng-init-done") readyAt = e.at;
    });
    for (let t = 0; t < 400_000 && readyAt < 0; t += 4) {
      clock.set(t);
      crng.addInterruptRandomness(0);
    }
    // One mix per ~1.004 s, 250 interrupts -> 3 bits each after the first (1 bit).
    expect(readyAt).toBeGreaterThan(80_000);
    expect(readyAt).toBeLessThan(90_000);
    expect(crng.entropyAvail).toBe(256);
  });
});
