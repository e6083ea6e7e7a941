import { ManualClock } from "@vmrng/crng";
import { type ByteSource, COMMONHV_LEAF_BASE, type CommonHvCpu, RngMsrHost } from "@vmrng/devices";
import { describe, expect, it } from "vitest";
import { hex, makeGuest, seeded, spec } from "./hypervisor.js";

const zeros: ByteSource = { generate: (n) => new Uint8Array(n) };

/** A CommonHV vCPU that advertises the RNG properly but always returns the same value. */
function constantMsr(): CommonHvCpu {
  const real = new RngMsrHost({ clock: new ManualClock(), randomBytes: seeded("x") }).attach("x");
  return {
    cpuid: (leaf) => real.cpuid(leaf),
    rdmsr: () => ({ kind: "ok", value: 0x4141_4141_4141_4141n }),
    wrmsr: (index, value) => real.wrmsr(index, value),
  };
}

async function hostileCocoGuest(rdrandLabel: string) {
  const s = spec({ coco: true, trust: { cpu: true, bootloader: true, msr: true } }, "coco");
  const g = makeGuest(s, {
    label: "coco",
    seed: new Uint8Array(32).fill(0x41),
    hv: { virtioSource: zeros, msrCpu: constantMsr() },
    randomBytes: seeded(rdrandLabel),
  });
  await g.kernel.boot();
  return g;
}

describe("a CoCo guest and a hostile hypervisor", () => {
  it("boots from RDRAND alone: the seed, virtio-rng and the MSR are mixed, never credited", async () => {
    const { kernel, hv } = await hostileCocoGuest("rdrand-A");
    expect(hv.msr.cpuid(COMMONHV_LEAF_BASE).ebx).toBe(0x6d6d6f43); // the MSR really is offered
    const st = kernel.status();
    expect(st.phase).toBe("running");
    expect(st.readySource).toBe("RDRAND (random_init_early)");
    const ch = Object.fromEntries(st.channels.map((c) => [c.channel, c]));
    expect(ch.setup_data).toMatchObject({ requests: 1, bytes: 32, creditedBits: 0 });
    expect(ch["virtio-rng"]!.bytes).toBeGreaterThanOrEqual(64);
    expect(ch["virtio-rng"]!.creditedBits).toBe(0);
    expect(ch.msr).toMatchObject({ requests: 4, creditedBits: 0 });
    expect(ch.rdrand!.creditedBits).toBe(256);
    const log = kernel.dmesg();
    expect(log.some((l) => l.includes("cc_random_init: 32 bytes of RDRAND mixed"))).toBe(true);
    expect(log.some((l) => l.includes("add_device_randomness (CoCo"))).toBe(true);
    expect(log.some((l) => l.includes("not credited (untrusted)"))).toBe(true);
    // The constant MSR is reported, not silently accepted.
    expect(
      kernel.events().some((e) => e.kind === "driver-error" && e.data?.channel === "msr"),
    ).toBe(true);
  });

  it("two such guests with different RDRAND never agree; with the same RDRAND they would", async () => {
    const a = await hostileCocoGuest("rdrand-A");
    const b = await hostileCocoGuest("rdrand-B");
    const a2 = await hostileCocoGuest("rdrand-A");
    const outA: string[] = [];
    const outB: string[] = [];
    const outA2: string[] = [];
    for (let i = 0; i < 8; i++) {
      outA.push(hex(await a.kernel.getrandom(32)));
      outB.push(hex(await b.kernel.getrandom(32)));
      outA2.push(hex(await a2.kernel.getrandom(32)));
    }
    for (const x of outA) expect(outB).not.toContain(x);
    // The control: everything the hostile host controls is identical, so only RDRAND differs.
    expect(outA2).toEqual(outA);
  });
});
