import { GUEST_PANIC_EXIT_CODE } from "@vmrng/cluster";
import { describe, expect, it } from "vitest";
import { PANIC_EXIT_CODE, printkTimestamp } from "../src/kernel/index.js";
import { makeGuest, spec } from "./hypervisor.js";

describe("printk timestamps", () => {
  it("formats [%5lu.%06lu] from virtual ms", () => {
    expect(printkTimestamp(0)).toBe("[    0.000000] ");
    expect(printkTimestamp(1234.5678)).toBe("[    1.234567] ");
    expect(printkTimestamp(99_999_999.999)).toBe("[99999.999999] ");
    expect(printkTimestamp(123_456_789_000)).toBe("[123456789.000000] ");
  });
});

describe("boot in the kernel's order", () => {
  it("a seeded guest is READY at virtual time 0, from setup_data, before any device probe", async () => {
    const { kernel } = makeGuest(spec());
    const r = await kernel.boot();
    expect(r).toMatchObject({ kind: "running", readyAtMs: 0 });
    const log = kernel.dmesg();
    const idx = (s: string) => log.findIndex((l) => l.includes(s));
    expect(log[0]).toMatch(/^\[ {4}0\.000000\] Linux version 6\.12\.0-vmrng \(vmrng@vmrng\) /);
    expect(log[1]).toBe("[    0.000000] Command line: console=ttyS0 reboot=k panic=1");
    expect(log).toContain("[    0.000000] random: crng init done");
    // Kernel order: setup_arch (parse_setup_data) credits the seed before start_kernel prints
    // the command line and long before the initcalls probe any device.
    expect(idx("SETUP_RNG_SEED of 32 bytes")).toBeGreaterThan(idx("Command line:"));
    // add_bootloader_randomness() crosses POOL_READY_BITS inside parse_setup_data(), so
    // "crng init done" is printed from within the walk, before our diagnostic for the node.
    expect(idx("random: crng init done")).toBe(idx("Command line:") + 1);
    expect(idx("random: crng init done")).toBeLessThan(idx("Kernel command line:"));
    expect(idx("Kernel command line:")).toBeLessThan(idx("commonhv_rng:"));
    expect(idx("commonhv_rng:")).toBeLessThan(idx("Run /sbin/init as init process"));
    const bootEvents = kernel.events().filter((e) => e.kind === "boot" || e.kind === "init-state");
    expect(bootEvents.map((e) => `${e.kind}:${String(e.data?.phase ?? e.data?.to)}`)).toEqual([
      "boot:start_kernel",
      "init-state:READY",
      "boot:initcalls",
      "boot:userspace",
    ]);
    const st = kernel.status();
    expect(st).toMatchObject({
      phase: "running",
      readyAtMs: 0,
      timeToReadyMs: 0,
      readySource: "setup_data seed",
      crng: { init: "READY", entropyAvail: 256, generation: expect.any(BigInt) },
    });
    const sd = st.channels.find((c) => c.channel === "setup_data")!;
    expect(sd).toEqual({
      channel: "setup_data",
      requests: 1,
      bytes: 32,
      errors: 0,
      creditedBits: 256,
    });
  });

  it("zeroes the seed and its len field in guest memory after crediting it", async () => {
    const { kernel, image, seedAddr } = makeGuest(spec());
    expect(seedAddr).not.toBeNull();
    const node = image.regions.find((r) => r.addr === seedAddr)!;
    const seedBytes = node.bytes.subarray(16, 48);
    expect(seedBytes.some((b) => b !== 0)).toBe(true);
    expect(new DataView(node.bytes.buffer, node.bytes.byteOffset).getUint32(12, true)).toBe(32);
    await kernel.boot();
    const mem = kernel.memory!;
    expect(mem.read(seedAddr! + 16n, 32)).toEqual(new Uint8Array(32));
    expect(mem.readU32(seedAddr! + 12n)).toBe(0);
    // The header's type and next survive: only data and len are wiped.
    expect(mem.readU32(seedAddr! + 8n)).toBe(9);
  });

  it("trust_bootloader off: the seed is mixed, not credited; RDRAND then makes it READY", async () => {
    const { kernel } = makeGuest(spec({ trust: { cpu: true, bootloader: false, msr: false } }));
    await kernel.boot();
    const st = kernel.status();
    expect(st.readySource).toBe("RDRAND (random_init_early)");
    expect(st.channels.find((c) => c.channel === "setup_data")!.creditedBits).toBe(0);
    expect(st.channels.find((c) => c.channel === "rdrand")!.creditedBits).toBe(256);
    const log = kernel.dmesg();
    const done = log.findIndex((l) => l.endsWith("random: crng init done"));
    expect(done).toBeGreaterThan(log.findIndex((l) => l.includes("Kernel command line:")));
  });

  it("random.trust_cpu=off on the command line keeps RDRAND uncredited", async () => {
    const s0 = spec({ seed: "absent", virtioRng: { ...spec().virtioRng, enabled: false } });
    const { kernel } = makeGuest(s0, {
      hv: { noMsr: true },
      commandLine: "console=ttyS0 random.trust_cpu=off",
    });
    await kernel.boot();
    expect(kernel.commandLine).toBe("console=ttyS0 random.trust_cpu=off");
    expect(kernel.dmesg()).toContain(
      "[    0.000000] Kernel command line: console=ttyS0 random.trust_cpu=off",
    );
    const st = kernel.status();
    expect(st.crng.init).toBe("EMPTY");
    expect(st.channels.find((c) => c.channel === "rdrand")).toMatchObject({
      creditedBits: 0,
      requests: expect.any(Number),
    });
    // The same guest without the parameter is READY from RDRAND.
    const trusting = makeGuest(s0, { hv: { noMsr: true } });
    await trusting.kernel.boot();
    expect(trusting.kernel.status().readySource).toBe("RDRAND (random_init_early)");
  });

  it("a stuck RDRAND is credited by random_init_early before x86_init_rdrand disables it", async () => {
    const { kernel } = makeGuest(
      spec({ seed: "absent", rdrand: { mode: "stuck", failProbability: 0 } }),
      { hv: { noMsr: true } },
    );
    await kernel.boot();
    const log = kernel.dmesg();
    const disabled = log.findIndex((l) =>
      l.endsWith("RDRAND is not reliable on this platform; disabling."),
    );
    expect(disabled).toBeGreaterThan(log.findIndex((l) => l.endsWith("random: crng init done")));
    const st = kernel.status();
    // The AMD erratum: all-ones with CF=1 passes random_init_early and is trusted.
    expect(st.readySource).toBe("RDRAND (random_init_early)");
    expect(st.rdrand).toEqual({ mode: "stuck", rdrandEnabled: false, rdseedEnabled: false });
  });
});

describe("CoCo and RDRAND", () => {
  it("a CoCo guest whose RDRAND fails panics in cc_random_init with the exact message", async () => {
    const { kernel } = makeGuest(
      spec({ coco: true, rdrand: { mode: "fail", failProbability: 0 } }),
    );
    const events: string[] = [];
    kernel.onEvent((e) => events.push(e.kind));
    const r = await kernel.boot();
    expect(r).toEqual({
      kind: "panic",
      message: "RDRAND is defective.",
      atMs: 0,
      exitCode: PANIC_EXIT_CODE,
    });
    expect(PANIC_EXIT_CODE).toBe(GUEST_PANIC_EXIT_CODE);
    expect(PANIC_EXIT_CODE).toBe(86);
    const log = kernel.dmesg();
    expect(log.slice(-2)).toEqual([
      "[    0.000000] Kernel panic - not syncing: RDRAND is defective.",
      "[    0.000000] ---[ end Kernel panic - not syncing: RDRAND is defective. ]---",
    ]);
    // setup_arch order: the panic comes before start_kernel prints the command line again.
    expect(log.some((l) => l.includes("Kernel command line:"))).toBe(false);
    expect(events).toContain("panic");
    expect(kernel.phase).toBe("panicked");
    expect(kernel.nextWakeAt()).toBeNull();
    await expect(kernel.getrandom(16)).rejects.toMatchObject({ code: "PANICKED" });
    expect(kernel.status().panic).toEqual({
      message: "RDRAND is defective.",
      atMs: 0,
      exitCode: PANIC_EXIT_CODE,
    });
  });

  it("no RDRAND at all panics a CoCo guest too; a non-CoCo guest boots without it", async () => {
    const coco = makeGuest(spec({ coco: true, rdrand: { mode: "absent", failProbability: 0 } }));
    expect((await coco.kernel.boot()).kind).toBe("panic");
    const plain = makeGuest(spec({ rdrand: { mode: "absent", failProbability: 0 } }));
    expect((await plain.kernel.boot()).kind).toBe("running");
  });
});
