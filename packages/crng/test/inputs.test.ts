import { describe, expect, it } from "vitest";
import { Crng, ManualClock } from "../src/index.js";
import { boot, credit, hex, ScriptedArch } from "./helpers.js";

describe("add_hwgenerator_randomness(): the hwrng kthread's sleep", () => {
  it("no sleep while crediting below READY; a reseed interval once READY or when nothing was credited", () => {
    const { clock, crng } = boot({ jitter: { enabled: false } });
    const buf = new Uint8Array(64).fill(1);
    expect(crng.addHwgeneratorRandomness(buf, 100, true)).toBe(0);
    expect(crng.addHwgeneratorRandomness(buf, 0, true)).toBe(1000); // !entropy: throttle
    expect(crng.addHwgeneratorRandomness(buf, 0, false)).toBe(0); // !sleep_after
    clock.set(10_400);
    // virtio-rng at quality 1000: 64 bytes -> 512 * 1000 / 1024 = 500 bits.
    expect(crng.addHwgeneratorRandomness(buf, 500, true)).toBe(5000); // READY; uptime 10 s -> 5 s
    expect(crng.initState).toBe("READY");
    clock.set(130_000);
    expect(crng.addHwgeneratorRandomness(buf, 500, true)).toBe(60_000);
    expect(crng.addHwgeneratorRandomness(buf, 500, false)).toBe(0);
  });

  it("entropyBits is a size_t: fractional or negative counts are refused", () => {
    const { crng } = boot();
    expect(() => crng.addHwgeneratorRandomness(new Uint8Array(1), 1.5, false)).toThrow(
      expect.objectContaining({ code: "EARG" }),
    );
  });
});

describe("add_device_randomness() and writes to /dev/random", () => {
  it("mix without crediting, and change the output", () => {
    const a = boot();
    const b = boot();
    a.crng.addDeviceRandomness(new TextEncoder().encode("serial=ABC123"));
    a.crng.writePool(new Uint8Array(100).fill(3));
    expect(a.crng.entropyAvail).toBe(0);
    credit(a.crng, 256);
    credit(b.crng, 256);
    expect(hex(a.crng.getrandom(32))).not.toBe(hex(b.crng.getrandom(32)));
  });
});

describe("ioctls", () => {
  it("RNDADDENTROPY mixes and credits; RNDRESEEDCRNG is ENODATA before READY, a reseed after", () => {
    const { crng } = boot();
    expect(() => crng.ioctlReseedCrng()).toThrow(
      expect.objectContaining({ code: "ENODATA", errno: 61 }),
    );
    crng.ioctlAddEntropy(new Uint8Array(32).fill(4), 256);
    expect(crng.initState).toBe("READY");
    crng.drainEvents();
    crng.ioctlReseedCrng();
    expect(crng.generation).toBe(2n);
    expect(crng.drainEvents()).toMatchObject([{ kind: "crng-reseed", reason: "ioctl" }]);
    expect(() => crng.ioctlAddEntropy(new Uint8Array(1), -1)).toThrow(
      expect.objectContaining({ code: "EINVAL" }),
    );
  });
});

describe("extract_entropy() block", () => {
  it("takes RDSEED longs for the block when present: no cycle counter reads at all", () => {
    const arch = new ScriptedArch(Number.POSITIVE_INFINITY, 0);
    const crng = new Crng({ clock: new ManualClock(), arch });
    crng.randomInitEarly();
    expect(crng.initState).toBe("READY");
    arch.log.length = 0;
    crng.ioctlReseedCrng();
    expect(arch.log).toEqual(["seed", "seed", "seed", "seed"]);
  });

  it("a misbehaving ArchRandom gets a typed error", () => {
    const crng = new Crng({
      clock: new ManualClock(),
      arch: {
        getRandomSeedLongs: () => [1] as unknown as bigint[],
        getRandomLongs: () => [],
        getEntropy: () => 0n,
      },
    });
    expect(() => crng.randomInitEarly()).toThrow(expect.objectContaining({ code: "EPLATFORM" }));
    let t = 0;
    const clock = { now: () => t };
    const late = new Crng({ clock });
    t = Number.NaN;
    expect(() => late.tick()).toThrow(expect.objectContaining({ code: "EPLATFORM" }));
    expect(() => new Crng({ clock: { now: () => Number.NaN } })).toThrow(
      expect.objectContaining({ code: "EPLATFORM" }),
    );
    expect(() => new Crng({ clock: new ManualClock(), hz: 512 })).toThrow(
      expect.objectContaining({ code: "EARG" }),
    );
  });
});
