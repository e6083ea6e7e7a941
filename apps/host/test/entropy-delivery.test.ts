import { readFileSync } from "node:fs";
import { GRND_NONBLOCK, GuestErrnoError } from "@vmrng/cluster/control";
import {
  DEFAULT_MSR_COMMONHV_RNG,
  DEFAULT_SETUP_DATA_BASE,
  DEFAULT_ZERO_PAGE_ADDR,
  OFF_SETUP_DATA,
  readU32,
  readU64,
  SETUP_RNG_SEED,
} from "@vmrng/devices";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster, until } from "./harness.js";

/**
 * Issue 4's integration tests: one real cluster (host, hypervisor and six guest processes over
 * real WebSockets) whose guests differ only in how they may get entropy.
 */
const CLUSTER = `
name: delivery
hypervisors:
  - id: hv1
    guests:
      # Only the boot seed can make it ready: no RDRAND; virtio-rng is there, but probes later.
      - id: seeded
        rdrand: { mode: absent }
        msr: { enabled: false }
      # No seed, no RDRAND: only hw_random reads from virtio-rng.
      - id: virtio
        seed: absent
        rdrand: { mode: absent }
        msr: { enabled: false }
      # The same, modelling a kernel up to 5.17 (virtio-rng's .quality = 1000).
      - id: virtio-old
        seed: absent
        rdrand: { mode: absent }
        msr: { enabled: false }
        virtioRng: { quality: 1000 }
      # Nothing but 20 interrupts/s (1 credited bit/s) and jitter when a reader blocks.
      - id: starved
        seed: absent
        rdrand: { mode: absent }
        virtioRng: { enabled: false }
        msr: { enabled: false }
        vmgenid: { mode: off }
        interrupts: { perSecond: 20 }
      # Confidential guest whose RDRAND always fails (CF=0): cc_random_init must panic.
      - id: coco-bad
        coco: true
        seed: absent
        rdrand: { mode: fail }
      # Two guests with the CommonHV RNG MSR, to show one cannot steer the other.
      - id: msr-a
      - id: msr-b
`;

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster(CLUSTER);
  for (const g of ["seeded", "virtio", "virtio-old", "msr-a", "msr-b"]) {
    await c.waitFor(g, (s) => s.crng?.init === "READY");
  }
}, 60_000);
afterAll(async () => {
  await c?.stop();
}, 30_000);

const logOf = async (node: string) => (await c.control.logs(node, { lines: 1000 })).lines;

describe("boot-time entropy through real processes", () => {
  it("a seeded guest is READY at virtual time 0, from its setup_data seed, before any device probe", async () => {
    const s = await c.status("seeded");
    expect(s.crng?.init).toBe("READY");
    expect(s.crng?.readySource).toBe("setup_data seed");
    expect(s.crng?.readyAtMs).toBeLessThan(1);
    const lines = await logOf("seeded");
    const initDone = lines.findIndex((l) => l.text === "random: crng init done");
    const firstAfterEarlyBoot = lines.findIndex((l) => l.vtimeMs > lines[0]!.vtimeMs);
    expect(initDone).toBeGreaterThanOrEqual(0);
    expect(lines[initDone]!.vtimeMs).toBeLessThan(1);
    // Every later line (device probes, init) comes after: the seed did it during setup_arch.
    expect(firstAfterEarlyBoot === -1 || initDone < firstAfterEarlyBoot).toBe(true);
    const virtio = s.channels.find((ch) => ch.channel === "virtio-rng");
    expect(virtio?.bytes ?? 0n).toBeGreaterThan(0n);
  });

  it("an unseeded guest with virtio-rng becomes READY after its first hw_random reads", async () => {
    const s = await c.status("virtio");
    expect(s.crng?.init).toBe("READY");
    expect(s.crng?.readySource).toBe("virtio-rng");
    const virtio = s.channels.find((ch) => ch.channel === "virtio-rng")!;
    // 6.x credits a 64-byte read with 512 bits (default_quality 1024): one read is enough.
    expect(virtio.bytes).toBeGreaterThanOrEqual(32n);
    expect(s.channels.find((ch) => ch.channel === "setup_data")?.bytes ?? 0n).toBe(0n);
  });

  it("hw_random credits 64-byte reads with the configured quality: 512 bits in 6.x, 500 at quality 1000", async () => {
    const credits = (vm: string) =>
      c.events
        .filter(
          (e) =>
            e.node === vm && e.kind === "hwrng" && (e.data as { bytes?: number })?.bytes === 64,
        )
        .map((e) => (e.data as { bits: number }).bits);
    await until(
      () => (credits("virtio").length > 0 && credits("virtio-old").length > 0 ? true : undefined),
      10_000,
      "hwrng credits",
    );
    // credit = bytes * 8 * quality / 1024 (drivers/char/hw_random/core.c, hwrng_fillfn)
    expect(credits("virtio")[0]).toBe(512);
    expect(credits("virtio-old")[0]).toBe(500);
  });

  it("a starved guest gives EAGAIN to GRND_NONBLOCK and blocks getrandom(0) until jitter or interrupts make it READY", async () => {
    const before = await c.status("starved");
    expect(before.crng?.init).toBe("EMPTY");
    await expect(c.control.getrandom("starved", 32, GRND_NONBLOCK)).rejects.toMatchObject({
      name: "GuestErrnoError",
      errno: "EAGAIN",
    });
    const bytes = await c.control.getrandom("starved", 32, 0, { timeoutMs: 60_000 });
    expect(bytes).toHaveLength(32);
    const after = await c.status("starved");
    expect(after.crng?.init).toBe("READY");
    expect(["jitter", "interrupts"]).toContain(after.crng?.readySource);
    // The blocked read returned only once the kernel had printed "crng init done".
    const done = c.events.find(
      (e) => e.node === "starved" && e.kind === "log" && e.message === "random: crng init done",
    );
    expect(done).toBeDefined();
    expect(done!.vtimeMs).toBeGreaterThan(0);
    const again = await c.control.getrandom("starved", 32, GRND_NONBLOCK);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(false);
  }, 90_000);

  it("a CoCo guest with a failing RDRAND panics with the kernel's message and the panic exit code", async () => {
    const s = await c.waitFor("coco-bad", (st) => st.state === "panicked");
    expect(s.state).toBe("panicked");
    const log = readFileSync(c.runDir.logFile("coco-bad"), "utf8");
    expect(log).toMatch(/\] Kernel panic - not syncing: RDRAND is defective\.\n/);
    expect(log).not.toContain("random: crng init done");
    const exit = await until(
      () =>
        c.events.find(
          (e) =>
            e.node === "coco-bad" &&
            e.kind === "vm.state" &&
            (e.data as { state?: string })?.state === "panicked",
        ),
      10_000,
      "the panicked vm.state event",
    );
    expect((exit.data as { code?: number }).code).toBe(86);
    await expect(c.control.getrandom("coco-bad", 32, 0)).rejects.toThrow(/panicked, not connected/);
  });
});

describe("what the kernel leaves in memory", () => {
  it("after boot the setup_data seed and its length read back as zeros; the node stays chained", async () => {
    const seedEvent = c.events.find((e) => e.node === "seeded" && e.kind === "boot.seed");
    const handed = (seedEvent?.data as { seed?: string })?.seed ?? "";
    expect(handed).toMatch(/^[0-9a-f]{64}$/);
    expect(handed).not.toBe("0".repeat(64)); // a real seed was handed over, so zeros mean erased

    const zp = await c.raw.request({
      t: "mem.read",
      vm: "seeded",
      gpa: DEFAULT_ZERO_PAGE_ADDR,
      len: 4096,
    });
    expect(readU64(zp.data, OFF_SETUP_DATA)).toBe(DEFAULT_SETUP_DATA_BASE);
    const node = await c.raw.request({
      t: "mem.read",
      vm: "seeded",
      gpa: DEFAULT_SETUP_DATA_BASE,
      len: 48,
    });
    expect(readU64(node.data, 0)).toBe(0n); // next: end of list
    expect(readU32(node.data, 8)).toBe(SETUP_RNG_SEED); // type is kept
    expect(readU32(node.data, 12)).toBe(0); // len zeroed (arch/x86/kernel/setup.c)
    expect([...node.data.subarray(16)]).toEqual(new Array(32).fill(0)); // data zeroed
  });

  it("refuses a read outside guest memory with a typed error, and the guest keeps serving", async () => {
    await expect(
      c.raw.request({ t: "mem.read", vm: "seeded", gpa: 1n << 50n, len: 16 }),
    ).rejects.toMatchObject({ code: "E_REMOTE", remoteCode: "E_INVALID" });
    await expect(
      c.raw.request({ t: "mem.read", vm: "nobody", gpa: 0n, len: 16 }),
    ).rejects.toMatchObject({ remoteCode: "E_NOT_FOUND" });
    expect(await c.control.getrandom("seeded", 16, 0)).toHaveLength(16);
  });
});

describe("the CommonHV RNG MSR", () => {
  const fp = async (vm: string) =>
    (await c.status(vm)).channels.find((ch) => ch.channel === "msr")?.fingerprint;

  it("wrmsr by guest A changes nothing in guest B's generator; B's own reads do", async () => {
    const a0 = await fp("msr-a");
    const b0 = await fp("msr-b");
    expect(a0).toMatch(/^[0-9a-f]{16}$/);
    expect(b0).toMatch(/^[0-9a-f]{16}$/);
    for (let i = 0; i < 32; i++) {
      const r = await c.raw.request({
        t: "cpu.wrmsr",
        vm: "msr-a",
        index: DEFAULT_MSR_COMMONHV_RNG,
        value: 0x4141_4141_4141_4141n + BigInt(i),
      });
      expect(r.t).toBe("msr.written");
    }
    expect(await fp("msr-a")).not.toBe(a0);
    expect(await fp("msr-b")).toBe(b0);
    const read = await c.raw.request({
      t: "cpu.rdmsr",
      vm: "msr-b",
      index: DEFAULT_MSR_COMMONHV_RNG,
    });
    expect(read.t).toBe("msr.value");
    expect(await fp("msr-b")).not.toBe(b0);
  });

  it("rdmsr and wrmsr of any other MSR fault (#GP) without harming the guest", async () => {
    const r = await c.raw.request({ t: "cpu.rdmsr", vm: "msr-a", index: 0x10 });
    expect(r).toMatchObject({ t: "msr.gp", index: 0x10 });
    const w = await c.raw.request({
      t: "cpu.wrmsr",
      vm: "msr-a",
      index: DEFAULT_MSR_COMMONHV_RNG + 1,
      value: 1n,
    });
    expect(w.t).toBe("msr.gp");
    expect(await c.control.getrandom("msr-a", 8, 0)).toHaveLength(8);
  });
});

describe("userspace through the control plane", () => {
  it("getrandom differs between calls and between guests; bad flags give EINVAL", async () => {
    const a = await c.control.getrandom("seeded", 32, 0);
    const b = await c.control.getrandom("seeded", 32, 0);
    const v = await c.control.getrandom("virtio", 32, 0);
    expect(new Set([a, b, v].map((x) => Buffer.from(x).toString("hex"))).size).toBe(3);
    const err = await c.control.getrandom("seeded", 8, 0x4 | 0x2, {}).catch((e: unknown) => e);
    // GRND_INSECURE|GRND_RANDOM: EINVAL from the syscall (the vDSO serves it once READY, as Linux does).
    if (err instanceof GuestErrnoError) expect(err.errno).toBe("EINVAL");
    await expect(c.control.getrandom("seeded", 8, 0x80)).rejects.toMatchObject({ errno: "EINVAL" });
  });
});
