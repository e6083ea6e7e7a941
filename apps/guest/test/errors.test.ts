import { ManualClock } from "@vmrng/crng";
import { buildBootImage, encodeSetupData } from "@vmrng/devices";
import { describe, expect, it } from "vitest";
import {
  bootImageInput,
  GuestKernel,
  GuestKernelError,
  loadGuestMemory,
} from "../src/kernel/index.js";
import { flush, makeGuest, runUntil, seeded, spec, TestHypervisor } from "./hypervisor.js";

describe("bad input gets typed errors, never a crash", () => {
  it("options", () => {
    const hv = new TestHypervisor("x");
    const base = {
      spec: spec(),
      clock: hv.clock,
      transport: hv.transport(),
      randomBytes: seeded("x"),
    };
    const bad = (o: object, msg: RegExp) => {
      const e = (() => {
        try {
          new GuestKernel({ ...base, ...o } as never);
        } catch (x) {
          return x;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(GuestKernelError);
      expect(e).toMatchObject({ code: "BAD_OPTIONS" });
      expect((e as Error).message).toMatch(msg);
    };
    bad({ spec: { ...spec(), cpus: 0 } }, /spec.cpus/);
    bad({ spec: { ...spec(), rdrand: { mode: "broken", failProbability: 0 } } }, /rdrand.mode/);
    bad({ spec: { ...spec(), virtioRng: { enabled: true, queueSize: 12 } } }, /power of two/);
    bad({ transport: { virtioPost: () => undefined } }, /transport.cpuid/);
    bad({ virtioRngQuality: 2000 }, /virtioRngQuality/);
    bad({ clock: {} }, /clock/);
    expect(() => new GuestKernel(base)).not.toThrow();
  });

  it("boot images, arguments, a second boot, and snapshots", async () => {
    expect(() => loadGuestMemory({ zeroPageAddr: -1n, regions: [] })).toThrow(/zeroPageAddr/);
    expect(() =>
      loadGuestMemory({
        zeroPageAddr: 0x7000n,
        regions: [{ addr: 1n << 60n, bytes: new Uint8Array(1) }],
      }),
    ).toThrow(GuestKernelError);
    const { kernel } = makeGuest(spec());
    await kernel.boot();
    await expect(kernel.boot()).rejects.toMatchObject({ code: "ALREADY_BOOTED" });
    await expect(kernel.getrandom(-1)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    await expect(kernel.getrandom(8, 2 ** 32)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    const hv = new TestHypervisor("r");
    const opts = {
      spec: spec(),
      clock: hv.clock,
      transport: hv.transport(),
      randomBytes: seeded("r"),
    };
    expect(() => GuestKernel.restore({ format: "nope" }, opts)).toThrow(/format/);
    const snap = kernel.serialize();
    expect(() =>
      GuestKernel.restore({ ...snap, crng: { ...snap.crng, version: 99 } }, opts),
    ).toThrow(/snapshot/i);
  });

  it("a hostile setup_data list (a loop) is reported and boot goes on", async () => {
    const clock = new ManualClock();
    const img = buildBootImage({ seed: seeded("s")(32) });
    // Point the seed node's next back at itself.
    img.memory.write(
      img.seedAddr!,
      encodeSetupData(img.seedAddr!, 9, new Uint8Array(0)).subarray(0, 8),
    );
    const hv = new TestHypervisor("loop", {}, clock);
    const kernel = new GuestKernel({
      spec: spec(),
      clock,
      transport: hv.transport(),
      randomBytes: seeded("loop"),
      boot: { image: bootImageInput(img) },
    });
    hv.kernel = kernel;
    expect((await kernel.boot()).kind).toBe("running");
    const errs = kernel.events().filter((e) => e.kind === "driver-error");
    expect(errs[0]).toMatchObject({ data: { channel: "setup_data", code: "LOOP" } });
    // The seed itself was consumed before the walk came back to it.
    expect(kernel.status().readySource).toBe("setup_data seed");
  });

  it("a transport that fails is a driver error, not a crash", async () => {
    const hv = new TestHypervisor("t");
    const t = hv.transport();
    const kernel = new GuestKernel({
      spec: spec(),
      clock: hv.clock,
      transport: {
        ...t,
        cpuid: () => Promise.reject(new Error("link down")),
        readVmgenid: () => Promise.reject(new Error("link down")),
      },
      randomBytes: seeded("t"),
      boot: { image: bootImageInput(buildBootImage({ seed: seeded("t")(32) })) },
    });
    hv.kernel = kernel;
    expect((await kernel.boot()).kind).toBe("running");
    const channels = kernel
      .events()
      .filter((e) => e.kind === "driver-error")
      .map((e) => e.data?.channel);
    expect(channels).toEqual(["vmgenid", "msr"]);
    expect(await kernel.onAcpiNotify()).toEqual({ kind: "no-device" });
  });
});

describe("/dev/urandom with a usable cycle counter", () => {
  it("waits in try_to_generate_entropy() instead of warning (6.x)", async () => {
    const { kernel, clock } = makeGuest(
      spec({
        seed: "absent",
        rdrand: { mode: "absent", failProbability: 0 },
        virtioRng: { enabled: false, queueSize: 8, quality: 1024, rateLimit: {} },
        interrupts: { perSecond: 0 },
      }),
      { hv: { noMsr: true } },
    );
    await kernel.boot();
    let done = false;
    const p = kernel.readUrandom(16, { comm: "cat" }).then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false);
    await runUntil(kernel, clock, 600, 5);
    await p;
    expect(done).toBe(true);
    expect(kernel.dmesg().some((l) => l.includes("uninitialized urandom read"))).toBe(false);
    expect(kernel.status().readySource).toBe("jitter");
  });
});
