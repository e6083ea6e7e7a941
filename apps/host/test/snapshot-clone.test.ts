import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster, until } from "./harness.js";

/**
 * Issue 6: snapshot and clone through real processes, vmgenid off and notify (counter: see
 * clone-100.test.ts and userspace-wireguard.test.ts). Every parent
 * is seeded (READY at time 0) and has no RDRAND, so the only thing that can make a clone differ
 * from its parent is what the platform tells it: nothing (off), a late ACPI notify (notify), or
 * the generation counter it checks before every output (counter).
 */
const NOTIFY_DELAY_MS = 1500;
const CLUSTER = `
name: fork
hypervisors:
  - id: hv1
    guests:
      - id: off
        rdrand: { mode: absent }
        msr: { enabled: false }
        vmgenid: { mode: off }
      - id: notify
        rdrand: { mode: absent }
        msr: { enabled: false }
        vmgenid: { mode: notify, notifyDelayMs: ${NOTIFY_DELAY_MS} }
`;

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster(CLUSTER);
  // Uptime above 4 s: the reseed interval is then max(1 s, uptime/2) >= 2 s, so no time-based
  // reseed (which would mix the cycle counter) falls between a snapshot and the next reads.
  for (const g of ["off", "notify"]) {
    await c.waitFor(g, (s) => s.crng?.init === "READY" && s.uptimeMs > 4000);
  }
}, 60_000);
afterAll(async () => {
  await c?.stop();
}, 30_000);

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const rand = async (vm: string) => hex(await c.control.getrandom(vm, 32, 0));

/** Reseeds the parent now (so none is due soon), then clones it. */
async function cloneNow(vm: string, clone: string) {
  await rand(vm);
  const r = await c.raw.request({ t: "snap.clone", vm, clone }, { timeoutMs: 30_000 });
  expect(r).toMatchObject({ t: "snap.cloned", vm: clone, from: vm });
  return r;
}

describe("snapshot and clone through real processes", () => {
  it("snap.save writes a 0600 snapshot into the run dir's snapshots/ with the guest's time", async () => {
    const r = await c.raw.request({ t: "snap.save", vm: "off", snapshot: "off-manual" });
    expect(r).toMatchObject({ t: "snap.saved", vm: "off", snapshot: "off-manual" });
    expect(r.size).toBeGreaterThan(1000n);
    expect(r.vtimeMs).toBeGreaterThan(4000);
    const { statSync, readFileSync } = await import("node:fs");
    const path = `${c.runDir.snapshotDir}/off-manual.snap`;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(path, "utf8"));
    expect(file.format).toBe("vmrng-snapshot/1");
    expect(file.vm).toBe("off");
    expect(BigInt(statSync(path).size)).toBe(r.size);
  });

  it("off: the clone repeats its parent's next outputs (the snapshot is faithful)", async () => {
    await cloneNow("off", "off-c1");
    const parent = [await rand("off"), await rand("off")];
    const clone = [await rand("off-c1"), await rand("off-c1")];
    expect(clone).toEqual(parent);
    expect(parent[0]).not.toBe(parent[1]);
    const s = await c.status("off-c1");
    expect(s.crng?.init).toBe("READY");
    expect(s.uptimeMs).toBeGreaterThan(4000);
    expect(s.lineage).toEqual({ kexecs: 0, from: "off" });
    expect((await c.status("off")).lineage).toEqual({ kexecs: 0 });
  }, 30_000);

  it("notify: identical until the notify is handled, then distinct, with the kernel's fork message", async () => {
    await cloneNow("notify", "notify-c1");
    // Inside the window between resume and Notify(0x80): the same bytes as the parent.
    const p1 = await rand("notify");
    const k1 = await rand("notify-c1");
    expect(k1).toBe(p1);
    const vmfork = await until(
      () => c.events.find((e) => e.node === "notify-c1" && e.kind === "vmfork"),
      10_000,
      "the clone's vmfork event",
    );
    expect(vmfork.node).toBe("notify-c1");
    const p2 = await rand("notify");
    const k2 = await rand("notify-c1");
    expect(k2).not.toBe(p2);
    const log = (await c.control.logs("notify-c1", { lines: 1000 })).lines.map((l) => l.text);
    expect(log).toContain("random: crng reseeded due to virtual machine fork");
    // The parent saw no fork.
    const parentLog = (await c.control.logs("notify", { lines: 1000 })).lines.map((l) => l.text);
    expect(parentLog).not.toContain("random: crng reseeded due to virtual machine fork");
  }, 30_000);

  // counter: see clone-100.test.ts (100 clones under concurrent load, every block distinct).

  it("refuses a clone id that exists and a snapshot that does not, with typed errors", async () => {
    await expect(
      c.raw.request({ t: "snap.clone", vm: "off", clone: "notify" }),
    ).rejects.toMatchObject({ remoteCode: "E_CONFLICT" });
    await expect(
      c.raw.request({ t: "snap.clone", vm: "off", clone: "x1", snapshot: "nope" }),
    ).rejects.toMatchObject({ remoteCode: "E_NOT_FOUND" });
    await expect(c.raw.request({ t: "snap.save", vm: "ghost" })).rejects.toMatchObject({
      remoteCode: "E_NOT_FOUND",
    });
    expect(await rand("off")).toHaveLength(64);
  });
});
