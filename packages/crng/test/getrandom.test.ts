import { describe, expect, it } from "vitest";
import { type Crng, CrngError, GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from "../src/index.js";
import { boot, credit, FrozenCounterArch } from "./helpers.js";

type Outcome = "bytes" | "EINVAL" | "EAGAIN" | "WOULD_BLOCK";

/**
 * SYSCALL_DEFINE3(getrandom)'s decision table. The vDSO (__cvdso_getrandom_data) only sends
 * unknown flags and a not-ready RNG to the syscall: once ready it serves GRND_INSECURE|GRND_RANDOM
 * without the syscall's EINVAL, exactly like Linux does.
 */
function expected(flags: number, ready: boolean, vdso: boolean): Outcome {
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return "EINVAL";
  if (vdso && ready) return "bytes";
  if ((flags & (GRND_INSECURE | GRND_RANDOM)) === (GRND_INSECURE | GRND_RANDOM)) return "EINVAL";
  if (!ready && !(flags & GRND_INSECURE)) return flags & GRND_NONBLOCK ? "EAGAIN" : "WOULD_BLOCK";
  return "bytes";
}

function outcome(read: () => Uint8Array): Outcome {
  try {
    const b = read();
    expect(b.length).toBe(24);
    return "bytes";
  } catch (e) {
    if (!(e instanceof CrngError)) throw e;
    if (e.code === "EINVAL") expect(e.errno).toBe(22);
    if (e.code === "EAGAIN") expect(e.errno).toBe(11);
    return e.code as Outcome;
  }
}

const FLAG_CASES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x10, 0x8000_0000];

describe("getrandom flag matrix", () => {
  for (const ready of [false, true]) {
    for (const api of ["getrandom", "sysGetrandom"] as const) {
      it(`${api}, CRNG ${ready ? "READY" : "not ready"}`, () => {
        const { crng } = boot({ jitter: { enabled: false } });
        if (ready) credit(crng, 256);
        const got = FLAG_CASES.map((f) => outcome(() => crng[api](24, f)));
        expect(got).toEqual(FLAG_CASES.map((f) => expected(f, ready, api === "getrandom")));
      });
    }
  }

  it("EAGAIN before READY with GRND_NONBLOCK, then bytes once READY", () => {
    const { crng } = boot({ jitter: { enabled: false } });
    expect(() => crng.getrandom(16, GRND_NONBLOCK)).toThrow(
      expect.objectContaining({ code: "EAGAIN", errno: 11 }),
    );
    credit(crng, 256);
    expect(crng.getrandom(16, GRND_NONBLOCK).length).toBe(16);
  });

  it("rejects bad JS arguments with EARG", () => {
    const { crng } = boot({ cpus: 2 });
    credit(crng, 256);
    for (const bad of [
      () => crng.getrandom(-1),
      () => crng.getrandom(1.5),
      () => crng.getrandom(8, -1),
      () => crng.getrandom(8, 0, 2),
      () => crng.sysGetrandom(Number.NaN),
      () => crng.addHwgeneratorRandomness(new Uint8Array(4), -1, false),
      () => crng.addDeviceRandomness("nope" as unknown as Uint8Array),
    ]) {
      expect(bad).toThrow(expect.objectContaining({ code: "EARG" }));
    }
    expect(crng.getrandom(0).length).toBe(0);
  });

  it("/dev/random: EAGAIN with O_NONBLOCK, WOULD_BLOCK without, bytes when READY", () => {
    const { crng } = boot({ jitter: { enabled: false } });
    expect(() => crng.readRandom(8, { nonblock: true })).toThrow(
      expect.objectContaining({ code: "EAGAIN" }),
    );
    expect(() => crng.readRandom(8)).toThrow(expect.objectContaining({ code: "WOULD_BLOCK" }));
    credit(crng, 256);
    expect(crng.readRandom(8).length).toBe(8);
  });
});

async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe("blocking readers", () => {
  it("a blocked getrandom() is released by later entropy, and reads after READY", async () => {
    const { clock, crng } = boot({ jitter: { enabled: false } });
    const p = crng.getrandomAsync(32);
    const r = crng.readRandomAsync(16);
    clock.set(5000);
    crng.tick();
    expect(await settled(p)).toBe(false);
    crng.addHwgeneratorRandomness(new Uint8Array(64).fill(5), 500, true);
    expect(crng.initState).toBe("READY");
    expect((await p).length).toBe(32);
    expect((await r).length).toBe(16);
  });

  it("with nothing else coming, jitter entropy releases it: 1 bit per jiffy with a fast counter", async () => {
    const { clock, crng } = boot(); // NoArchRandom: the counter moves on every read
    const p = crng.getrandomAsync(32);
    const ev = crng.drainEvents();
    expect(ev).toMatchObject([{ kind: "jitter-start", samplesPerBit: 1 }]);
    for (let t = 1; t <= 255; t++) {
      clock.set(t);
      crng.tick();
    }
    expect(crng.entropyAvail).toBe(255);
    expect(await settled(p)).toBe(false);
    clock.set(256);
    crng.tick();
    expect(crng.initState).toBe("READY");
    expect(crng.drainEvents().find((e) => e.kind === "crng-init-done")?.at).toBe(256);
    expect((await p).length).toBe(32);
    expect(crng.nextDeadline()).toBe(1256); // only the periodic reseed is left
  });

  it("a slow jitter tick makes a starved guest visibly block (tickMs = 50: READY at 12.8 s)", async () => {
    const { clock, crng } = boot({ jitter: { tickMs: 50 } });
    const ready = crng.waitForReady();
    clock.set(12_750);
    crng.tick();
    expect(crng.entropyAvail).toBe(255);
    expect(await settled(ready)).toBe(false);
    clock.set(12_800);
    crng.tick();
    await ready;
    expect(crng.isReady).toBe(true);
  });

  it("a frozen cycle counter gives no jitter credit; the waiter retries each second until other entropy arrives", async () => {
    const { clock, crng } = boot({ arch: new FrozenCounterArch() });
    const p = crng.getrandomAsync(8);
    expect(crng.drainEvents()).toMatchObject([{ kind: "jitter-unusable", samplesPerBit: 8192 }]);
    expect(crng.nextDeadline()).toBe(1000);
    clock.set(10_000);
    crng.tick();
    expect(crng.entropyAvail).toBe(0);
    expect(crng.drainEvents()).toEqual([]); // retried 10 times, reported once
    expect(crng.nextDeadline()).toBe(11_000);
    expect(await settled(p)).toBe(false);
    credit(crng, 256);
    expect((await p).length).toBe(8);
    // The retry timer is gone; only the reseed work remains: READY at uptime 10 s -> 5 s.
    expect(crng.nextDeadline()).toBe(15_000);
  });

  it("waitForReady() resolves at once when READY", async () => {
    const { crng } = boot();
    credit(crng, 256);
    await crng.waitForReady();
  });
});

describe("vgetrandom() with an explicit state", () => {
  it("falls back to the syscall before READY (GRND_INSECURE works, 0 would block)", () => {
    const { crng } = boot({ jitter: { enabled: false } });
    const st = crng.openVgetrandomState();
    expect(crng.vgetrandom(st, 16, GRND_INSECURE).length).toBe(16);
    expect(st.generation).toBe(0n);
    expect(() => crng.vgetrandom(st, 16)).toThrow(expect.objectContaining({ code: "WOULD_BLOCK" }));
    expect(() => crng.vgetrandom(st, 16, 0x40)).toThrow(
      expect.objectContaining({ code: "EINVAL" }),
    );
  });

  it("rejects states it did not make", () => {
    const { crng } = boot();
    expect(() => crng.vgetrandom({} as never, 1)).toThrow(
      expect.objectContaining({ code: "EARG" }),
    );
    expect(() => crng.openVgetrandomState(1)).toThrow(expect.objectContaining({ code: "EARG" }));
  });
});

export type { Crng };
