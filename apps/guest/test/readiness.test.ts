import { describe, expect, it } from "vitest";
import { GuestSyscallError } from "../src/kernel/index.js";
import { flush, makeGuest, runUntil, spec } from "./hypervisor.js";

const noRdrand = { mode: "absent" as const, failProbability: 0 };

describe("readiness from virtio-rng", () => {
  it("an unseeded guest with virtio-rng becomes READY from its first hwrng read", async () => {
    const { kernel } = makeGuest(spec({ seed: "absent", rdrand: noRdrand }), {
      hv: { noMsr: true },
    });
    const hw: Array<Record<string, unknown>> = [];
    kernel.onEvent((e) => {
      if (e.kind === "hwrng") hw.push(e.data ?? {});
    });
    await kernel.boot();
    const st = kernel.status();
    expect(st.readySource).toBe("virtio-rng");
    expect(st.crng.init).toBe("READY");
    // 6.x: default_quality 1024 -> a 64-byte read credits 512 bits (READY needs 256).
    expect(hw[0]).toEqual({ bytes: 0, bits: 0 }); // add_early_randomness: nothing answered yet
    expect(hw[1]).toMatchObject({ bytes: 64, bits: 512 });
    const v = st.channels.find((c) => c.channel === "virtio-rng")!;
    // The first buffer made it READY; draining it re-posted data[], and this device answers at
    // once, so a second 64 bytes wait in data[] while the kthread sleeps.
    expect(v).toMatchObject({ requests: 2, bytes: 128, errors: 0, creditedBits: 256 });
    const log = kernel.dmesg();
    const done = log.findIndex((l) => l.endsWith("random: crng init done"));
    expect(done).toBeGreaterThan(log.findIndex((l) => l.includes("Kernel command line:")));
    // Once ready the kthread sleeps one reseed interval (crng_reseed_interval(): 1 s early on).
    expect(st.hwrng).toEqual({ registered: true, kthread: "sleep", quality: 1024 });
    expect(kernel.nextWakeAt()).toBeLessThanOrEqual(1000);
  });

  it("virtioRngQuality 1000 reproduces the <= 5.17 credit of 500 bits per 64-byte read", async () => {
    const { kernel } = makeGuest(spec({ seed: "absent", rdrand: noRdrand }), {
      hv: { noMsr: true },
      kernel: { virtioRngQuality: 1000 },
    });
    const bits: unknown[] = [];
    kernel.onEvent((e) => {
      if (e.kind === "hwrng" && e.data?.bytes === 64) bits.push(e.data.bits);
    });
    await kernel.boot();
    expect(bits[0]).toBe(500);
    expect(kernel.status().hwrng.quality).toBe(1000);
  });

  it("the hwrng kthread keeps reading after READY, once per reseed interval", async () => {
    const { kernel, clock, hv } = makeGuest(spec({ seed: "absent", rdrand: noRdrand }), {
      hv: { noMsr: true },
    });
    await kernel.boot();
    await runUntil(kernel, clock, 10_000, 100);
    const used = hv.virtio.accounting().requests;
    // crng_reseed_interval() is max(1 s, uptime/2) early on: reads at ~1, 2, 3, 4, 6, 9 s.
    expect(used).toBeGreaterThanOrEqual(5);
    expect(used).toBeLessThanOrEqual(8);
    expect(kernel.status().channels.find((c) => c.channel === "virtio-rng")!.requests).toBe(used);
  });
});

describe("a starved guest", () => {
  const starved = spec({
    seed: "absent",
    rdrand: noRdrand,
    virtioRng: { enabled: false, queueSize: 8, quality: 1024, rateLimit: {} },
    vmgenid: { mode: "off", notifyDelayMs: 0 },
    interrupts: { perSecond: 10 },
  });

  it("blocks getrandom(0), answers GRND_NONBLOCK with EAGAIN, then is READY from jitter", async () => {
    const { kernel, clock } = makeGuest(starved, { hv: { noMsr: true } });
    await kernel.boot();
    expect(kernel.crngInit).toBe("EMPTY");
    const e = await kernel.getrandom(16, 1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GuestSyscallError);
    expect(e).toMatchObject({ code: "EAGAIN", errno: 11 });
    await expect(kernel.getrandom(16, 8)).rejects.toMatchObject({ code: "EINVAL", errno: 22 });
    await expect(kernel.getrandom(16, 4 | 2)).rejects.toMatchObject({ code: "EINVAL" });
    await expect(kernel.readRandom(16, { nonblock: true })).rejects.toMatchObject({
      code: "EAGAIN",
    });

    let got: Uint8Array | null = null;
    const p = kernel.getrandom(32).then((b) => {
      got = b;
    });
    await flush();
    expect(got).toBeNull();
    // The blocked reader started try_to_generate_entropy(): a timer one jiffy away.
    expect(kernel.nextWakeAt()).toBe(1);
    await runUntil(kernel, clock, 100, 1);
    expect(got).toBeNull();
    expect(kernel.entropyAvail).toBeGreaterThan(50);
    await runUntil(kernel, clock, 1000, 1);
    await p;
    expect(got).not.toBeNull();
    expect(got!.length).toBe(32);
    const st = kernel.status();
    expect(st.readySource).toBe("jitter");
    expect(st.readyAtMs).toBeGreaterThan(200);
    expect(st.readyAtMs).toBeLessThan(300);
    expect(kernel.events().some((x) => x.kind === "jitter")).toBe(true);
    // And now GRND_NONBLOCK works.
    expect((await kernel.getrandom(8, 1)).length).toBe(8);
  });

  it("without a blocked reader, interrupts alone make it READY (and it shows)", async () => {
    const { kernel, clock } = makeGuest(
      { ...starved, interrupts: { perSecond: 4000 } },
      { hv: { noMsr: true } },
    );
    await kernel.boot();
    await runUntil(kernel, clock, 2000, 50);
    expect(kernel.crngInit).not.toBe("READY");
    await runUntil(kernel, clock, 6000, 50);
    const st = kernel.status();
    expect(st.crng.init).toBe("READY");
    expect(st.readySource).toBe("interrupts");
    // 1024 interrupts per fast-pool mix credit 16 bits: 16 mixes, 16384 interrupts.
    expect(st.interrupts.delivered).toBeGreaterThan(16_000);
    expect(st.readyAtMs).toBeGreaterThan(3000);
  });

  it("/dev/urandom on a platform without a usable cycle counter warns instead of waiting", async () => {
    const { kernel } = makeGuest(starved, {
      hv: { noMsr: true },
      kernel: { crng: { jitter: { enabled: false } } },
    });
    await kernel.boot();
    const b = await kernel.readUrandom(16, { comm: "cat" });
    expect(b.length).toBe(16);
    expect(kernel.dmesg().at(-1)).toBe(
      "[    0.000000] random: cat: uninitialized urandom read (16 bytes read)",
    );
  });

  it("two identical starved guests diverge when their TSCs carry different noise", async () => {
    const outputs: string[] = [];
    for (const offset of [0n, 1n, 0n]) {
      let t = 0n;
      const { kernel, clock } = makeGuest(starved, {
        hv: { noMsr: true },
        kernel: { tsc: () => (t += 1000n + ((t / 1000n) % 3n) * offset) },
      });
      await kernel.boot();
      const p = kernel.getrandom(16);
      await runUntil(kernel, clock, 600, 5);
      outputs.push(Buffer.from(await p).toString("hex"));
    }
    expect(outputs[0]).not.toBe(outputs[1]);
    expect(outputs[0]).toBe(outputs[2]);
  });
});

describe("the CommonHV RNG MSR", () => {
  const msrOnly = spec({
    seed: "absent",
    rdrand: noRdrand,
    virtioRng: { enabled: false, queueSize: 8, quality: 1024, rateLimit: {} },
    trust: { cpu: true, bootloader: true, msr: true },
  });

  it("credits 256 bits with trust.msr and says so", async () => {
    const { kernel } = makeGuest(msrOnly);
    await kernel.boot();
    const st = kernel.status();
    expect(st.readySource).toBe("msr");
    expect(st.channels.find((c) => c.channel === "msr")).toEqual({
      channel: "msr",
      requests: 4,
      bytes: 32,
      errors: 0,
      creditedBits: 256,
    });
    expect(kernel.dmesg().some((l) => l.includes("commonhv_rng: MSR 0x400000c0: 4 reads"))).toBe(
      true,
    );
  });

  it("mixes without credit when the MSR is not trusted", async () => {
    const { kernel } = makeGuest({ ...msrOnly, trust: { ...msrOnly.trust, msr: false } });
    await kernel.boot();
    const st = kernel.status();
    expect(st.crng.init).toBe("EMPTY");
    expect(st.channels.find((c) => c.channel === "msr")).toMatchObject({
      requests: 4,
      creditedBits: 0,
    });
  });
});
