import { join } from "node:path";
import {
  DEFAULT_SETUP_DATA_BASE,
  DEFAULT_ZERO_PAGE_ADDR,
  OFF_SETUP_DATA,
  readU32,
  readU64,
  SETUP_RNG_SEED,
} from "@vmrng/devices";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSeedFile } from "../../hypervisor/src/seed-file.js";
import { startCluster, type TestCluster, until } from "./harness.js";

/**
 * Issue 6, kexec: the running kernel hands the next one 32 bytes from its own CRNG in
 * setup_data, only when it is READY (setup_rng_seed(), arch/x86/kernel/kexec-bzimage64.c).
 * Neither guest has RDRAND, virtio-rng or the MSR, so a kernel can only be READY at time 0
 * through that seed.
 */
const CLUSTER = `
name: kexec
hypervisors:
  - id: hv1
    guests:
      - id: chain
        rdrand: { mode: absent }
        virtioRng: { enabled: false }
        msr: { enabled: false }
      - id: cold
        seed: absent
        rdrand: { mode: absent }
        virtioRng: { enabled: false }
        msr: { enabled: false }
        interrupts: { perSecond: 20 }
`;

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster(CLUSTER);
  await c.waitFor("chain", (s) => s.crng?.init === "READY");
  await c.waitFor("cold", (s) => s.state === "running" && s.crng !== undefined);
}, 60_000);
afterAll(async () => {
  await c?.stop();
}, 30_000);

const seedEvents = (vm: string) =>
  c.events
    .filter((e) => e.node === vm && e.kind === "boot.seed")
    .map((e) => e.data as { policy?: string; seed?: string; kexec?: number });

/** The SETUP_RNG_SEED node after boot: type kept, len and data zeroed by the kernel. */
async function expectSeedErased(vm: string) {
  const zp = await c.raw.request({ t: "mem.read", vm, gpa: DEFAULT_ZERO_PAGE_ADDR, len: 4096 });
  expect(readU64(zp.data, OFF_SETUP_DATA)).toBe(DEFAULT_SETUP_DATA_BASE);
  const node = await c.raw.request({ t: "mem.read", vm, gpa: DEFAULT_SETUP_DATA_BASE, len: 48 });
  expect(readU32(node.data, 8)).toBe(SETUP_RNG_SEED);
  expect(readU32(node.data, 12)).toBe(0);
  expect([...node.data.subarray(16)]).toEqual(new Array(32).fill(0));
}

describe("kexec chains through real processes", () => {
  it("a chain of three: each next kernel READY at virtual time 0 from the seed, all seeds distinct and erased", async () => {
    const pids = new Set<number>();
    pids.add((await c.status("chain")).pid);
    for (let n = 1; n <= 3; n++) {
      const r = await c.raw.request({ t: "vm.kexec", vm: "chain" }, { timeoutMs: 30_000 });
      expect(r).toMatchObject({ t: "vm.state", vm: "chain", state: "running" });
      const s = await c.waitFor("chain", (x) => x.crng?.init === "READY");
      // Time 0 is the first clock read in early boot (as in entropy-delivery.test.ts).
      expect(s.crng?.readyAtMs).toBeLessThan(1);
      expect(s.crng?.readySource).toBe("setup_data seed");
      expect(s.lineage).toEqual({ kexecs: n });
      pids.add(s.pid);
      await expectSeedErased("chain");
      const kexecEvent = await until(
        () =>
          c.events.find(
            (e) =>
              e.node === "chain" &&
              e.kind === "kexec" &&
              (e.data as { kexec?: number })?.kexec === n,
          ),
        5000,
        `kexec event #${n}`,
      );
      expect((kexecEvent.data as { seeded?: boolean }).seeded).toBe(true);
    }
    // One process per kernel.
    expect(pids.size).toBe(4);
    const seeds = seedEvents("chain");
    expect(seeds.map((e) => e.policy)).toEqual(["present", "kexec", "kexec", "kexec"]);
    const hexes = seeds.map((e) => e.seed ?? "");
    for (const h of hexes) expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(hexes).size).toBe(4);
    const log = (await c.control.logs("chain", { lines: 1000 })).lines.map((l) => l.text);
    expect(log).toContain("random: crng init done");
  }, 60_000);

  it("a kernel that is not READY hands on no seed: the next kernel boots without SETUP_RNG_SEED", async () => {
    const before = await c.status("cold");
    expect(before.crng?.init).not.toBe("READY");
    await c.raw.request({ t: "vm.kexec", vm: "cold" }, { timeoutMs: 30_000 });
    const ev = await until(
      () => c.events.find((e) => e.node === "cold" && e.kind === "kexec"),
      5000,
      "the kexec event",
    );
    expect((ev.data as { seeded?: boolean }).seeded).toBe(false);
    const seeds = seedEvents("cold");
    expect(seeds.at(-1)).toMatchObject({ policy: "kexec" });
    expect(seeds.at(-1)?.seed).toBeUndefined();
    const zp = await c.raw.request({
      t: "mem.read",
      vm: "cold",
      gpa: DEFAULT_ZERO_PAGE_ADDR,
      len: 4096,
    });
    expect(readU64(zp.data, OFF_SETUP_DATA)).toBe(0n);
    const after = await c.status("cold");
    expect(after.crng?.readySource ?? null).not.toBe("setup_data seed");
  }, 30_000);

  it("the cold boot's seed came through the VM's seed file (run dir seeds/, 0600, complete)", async () => {
    const { readFileSync, statSync } = await import("node:fs");
    const path = join(c.runDir.seedDir, "chain.seed");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const stored = decodeSeedFile(new Uint8Array(readFileSync(path)));
    expect(stored).not.toBeNull();
    // What survives the boot is not what the kernel got.
    const handed = seedEvents("chain")[0]?.seed;
    expect(handed).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(stored!).toString("hex")).not.toBe(handed);
    // The unseeded guest's loader keeps no seed file.
    expect(() => statSync(join(c.runDir.seedDir, "cold.seed"))).toThrow();
  });

  it("kexec of an unknown guest is a typed E_NOT_FOUND", async () => {
    await expect(c.raw.request({ t: "vm.kexec", vm: "ghost" })).rejects.toMatchObject({
      remoteCode: "E_NOT_FOUND",
    });
  });
});
