import { describe, expect, it } from "vitest";
import { Crng, ManualClock } from "../src/index.js";
import { boot, credit, ScriptedArch } from "./helpers.js";

describe("credit accounting and crng_init transitions", () => {
  it("127 bits: EMPTY, 128: EARLY without a generation bump, 256: READY with exactly one bump", () => {
    const { crng } = boot();
    credit(crng, 127);
    expect(crng.initState).toBe("EMPTY");
    expect(crng.entropyAvail).toBe(127);
    expect(crng.generation).toBe(0n);
    expect(crng.drainEvents()).toEqual([]);

    credit(crng, 1);
    expect(crng.initState).toBe("EARLY");
    expect(crng.entropyAvail).toBe(128);
    expect(crng.generation).toBe(0n);
    expect(crng.drainEvents().map((e) => e.kind)).toEqual(["crng-early"]);

    credit(crng, 127);
    expect(crng.initState).toBe("EARLY");
    expect(crng.entropyAvail).toBe(255);
    credit(crng, 1);
    expect(crng.initState).toBe("READY");
    expect(crng.entropyAvail).toBe(256);
    expect(crng.generation).toBe(1n);
    const ev = crng.drainEvents();
    expect(ev.map((e) => e.kind)).toEqual(["crng-reseed", "crng-init-done"]);
    expect(ev[0]).toMatchObject({ reason: "init", generation: 1n });
    expect(ev[1]).toMatchObject({ printk: true, message: "random: crng init done", at: 0 });
  });

  it("a single credit straight to 256 skips CRNG_EARLY", () => {
    const { crng } = boot();
    credit(crng, 256);
    expect(crng.initState).toBe("READY");
    expect(crng.generation).toBe(1n);
    expect(crng.drainEvents().map((e) => e.kind)).toEqual(["crng-reseed", "crng-init-done"]);
  });

  it("saturates at POOL_BITS and stays at 256 once READY, whatever is credited after", () => {
    const { crng } = boot();
    credit(crng, 100_000);
    expect(crng.entropyAvail).toBe(256);
    credit(crng, 100_000);
    crng.addBootloaderRandomness(new Uint8Array(64));
    expect(crng.entropyAvail).toBe(256);
    expect(crng.generation).toBe(1n);
    const { crng: b } = boot();
    credit(b, 200);
    credit(b, 200);
    expect(b.entropyAvail).toBe(256);
    expect(b.initState).toBe("READY");
  });

  it("crossing 128 from below by a big step still extracts the EARLY key", () => {
    const { crng } = boot();
    credit(crng, 100);
    credit(crng, 100);
    expect(crng.initState).toBe("EARLY");
    expect(crng.entropyAvail).toBe(200);
  });

  it("an EMPTY CRNG re-extracts from the pool on every read; an EARLY one does not", () => {
    const arch = new ScriptedArch(0, 0);
    const crng = new Crng({ clock: new ManualClock(), arch, jitter: { enabled: false } });
    arch.log.length = 0;
    crng.readUrandom(16, { comm: "t" });
    // extract_entropy: per rdseed[] slot RDSEED, then RDRAND, then the cycle counter.
    expect(arch.log).toEqual(Array(4).fill(["seed", "rand", "tsc"]).flat());

    arch.log.length = 0;
    crng.getrandom(16, 4 /* GRND_INSECURE */);
    expect(arch.log).toEqual(Array(4).fill(["seed", "rand", "tsc"]).flat());

    credit(crng, 128);
    arch.log.length = 0;
    crng.getrandom(16, 4);
    crng.getrandom(16, 4);
    expect(arch.log).toEqual([]);
  });

  it("EMPTY reads never repeat, and fast key erasure never returns the same bytes twice", () => {
    const { crng } = boot();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(Buffer.from(crng.getrandom(32, 4)).toString("hex"));
    credit(crng, 128);
    for (let i = 0; i < 50; i++) seen.add(Buffer.from(crng.getrandom(32, 4)).toString("hex"));
    expect(seen.size).toBe(100);
  });
});

describe("trust flags", () => {
  it("random.trust_bootloader=0: the seed is mixed but credits nothing", () => {
    const on = boot();
    on.crng.addBootloaderRandomness(new Uint8Array(32).fill(7));
    expect(on.crng.entropyAvail).toBe(256);
    expect(on.crng.initState).toBe("READY");

    const off = boot({ trustBootloader: false });
    off.crng.addBootloaderRandomness(new Uint8Array(32).fill(7));
    expect(off.crng.entropyAvail).toBe(0);
    expect(off.crng.initState).toBe("EMPTY");
    // Mixed all the same: the pool differs from one that never saw the seed.
    const none = boot({ trustBootloader: false });
    expect(Buffer.from(off.crng.getrandom(32, 4))).not.toEqual(
      Buffer.from(none.crng.getrandom(32, 4)),
    );
  });

  it("a 16-byte bootloader seed credits 128 bits (len * 8)", () => {
    const { crng } = boot();
    crng.addBootloaderRandomness(new Uint8Array(16));
    expect(crng.entropyAvail).toBe(128);
    expect(crng.initState).toBe("EARLY");
  });

  it("random.trust_cpu=0: RDRAND output is mixed but credits nothing", () => {
    const crng = new Crng({
      clock: new ManualClock(),
      arch: new ScriptedArch(0, Number.POSITIVE_INFINITY),
      trustCpu: false,
    });
    expect(crng.randomInitEarly("quiet")).toBe(512);
    expect(crng.entropyAvail).toBe(0);
    expect(crng.initState).toBe("EMPTY");
  });
});

describe("random_init_early()", () => {
  it("credits 512 bits minus 64 per long neither RDSEED nor RDRAND could give", () => {
    const cases: Array<[number, number, string]> = [
      [8, 256, "READY"], // 512 bits, saturating at 256
      [5, 256, "READY"], // 320
      [3, 192, "EARLY"], // 192
      [2, 128, "EARLY"],
      [1, 64, "EMPTY"],
      [0, 0, "EMPTY"],
    ];
    for (const [good, bits, state] of cases) {
      const arch = new ScriptedArch(0, good);
      const crng = new Crng({ clock: new ManualClock(), arch });
      expect(crng.randomInitEarly("console=ttyS0")).toBe(512 - 64 * (8 - good));
      expect(crng.entropyAvail).toBe(bits);
      expect(crng.initState).toBe(state);
    }
  });

  it("asks RDSEED first, RDRAND when RDSEED gives nothing, and skips a slot when both fail", () => {
    const arch = new ScriptedArch(2, 3);
    const crng = new Crng({ clock: new ManualClock(), arch });
    expect(crng.randomInitEarly()).toBe(512 - 3 * 64);
    expect(arch.log).toEqual([
      "seed", // slot 0: RDSEED
      "seed", // slot 1: RDSEED
      "seed",
      "rand", // slots 2..4: RDRAND
      "seed",
      "rand",
      "seed",
      "rand",
      "seed",
      "rand", // slots 5..7: nothing
      "seed",
      "rand",
      "seed",
      "rand",
      // 320 bits credited -> READY -> crng_reseed() -> extract_entropy(): both exhausted now,
      // so each of the 4 rdseed[] slots falls back to the cycle counter.
      ...Array(4).fill(["seed", "rand", "tsc"]).flat(),
    ]);
  });

  it("mixes the command line and utsname: different command lines give different pools", () => {
    const a = new Crng({ clock: new ManualClock(), arch: new ScriptedArch(0, 8) });
    const b = new Crng({ clock: new ManualClock(), arch: new ScriptedArch(0, 8) });
    a.randomInitEarly("root=/dev/vda");
    b.randomInitEarly("root=/dev/vdb");
    expect(Buffer.from(a.getrandom(32))).not.toEqual(Buffer.from(b.getrandom(32)));
  });

  it("already READY (bootloader seed first, as from setup_arch): reseeds instead of crediting", () => {
    const { crng } = boot();
    crng.addBootloaderRandomness(new Uint8Array(32).fill(1));
    crng.drainEvents();
    crng.randomInitEarly("x");
    expect(crng.generation).toBe(2n);
    expect(crng.drainEvents()).toMatchObject([
      { kind: "crng-reseed", reason: "random_init_early" },
    ]);
  });
});
