import { readFileSync } from "node:fs";
import { isAlive } from "@vmrng/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster, until } from "./harness.js";

/**
 * A hypervisor process killed with SIGKILL while its VMs run: the guests outlive it (their
 * processes, pids and CRNGs carry on), the host restarts it, the new one takes the VMs back from
 * its manifest and the guests reconnect with the tokens they were started with. A restart is
 * not a VM fork: the vmgenid id and the generation counter stay, so no guest reseeds for it.
 */
const CLUSTER = `
name: hv-restart
hypervisors:
  - id: hv1
    guests:
      - id: notify
        vmgenid: { mode: notify }
      - id: counter
        vmgenid: { mode: counter }
`;

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster(CLUSTER);
  for (const vm of ["notify", "counter"]) await c.waitFor(vm, (s) => s.crng?.init === "READY");
}, 60_000);
afterAll(async () => {
  await c?.stop();
}, 30_000);

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

async function getrandom(vm: string): Promise<Uint8Array> {
  const r = await c.raw.request({ t: "rng.getrandom", vm, len: 32, flags: 0 });
  if (r.t !== "rng.data") throw new Error(`${vm}: ${r.errno}`);
  return r.data;
}

describe("the hypervisor killed under running guests", () => {
  it("is restarted; the same guest processes rejoin it and keep serving, without a vmfork", async () => {
    const before = new Map<string, number>();
    for (const vm of ["notify", "counter"]) before.set(vm, (await c.status(vm)).pid);
    const hv = await c.status("hv1");
    const outputs = new Set<string>();
    for (const vm of ["notify", "counter"]) outputs.add(hex(await getrandom(vm)));
    const mark = c.events.length;

    process.kill(hv.pid, "SIGKILL");
    await until(() => (isAlive(hv.pid) ? undefined : true), 5000, "the hypervisor to die");
    // While it is down the guests run on.
    for (const pid of before.values()) expect(isAlive(pid)).toBe(true);

    await until(
      () => c.events.slice(mark).find((e) => e.kind === "hv.restarted"),
      15_000,
      "the host to restart hv1",
    );
    for (const vm of ["notify", "counter"]) {
      await until(
        () => c.events.slice(mark).find((e) => e.node === vm && e.kind === "vm.rejoin"),
        15_000,
        `${vm} to rejoin`,
      );
      const s = await c.waitFor(vm, (st) => st.state === "running" && st.crng?.init === "READY");
      expect(s.pid).toBe(before.get(vm));
      const out = hex(await getrandom(vm));
      expect(outputs.has(out)).toBe(false);
      outputs.add(out);
    }
    const hv2 = await c.status("hv1");
    expect(hv2.pid).not.toBe(hv.pid);
    // The counter guest checks the generation before every output: an unchanged counter means
    // no fork was seen; the notify guest got no notify.
    expect(c.events.slice(mark).filter((e) => e.kind === "vmfork")).toEqual([]);
    const log = readFileSync(c.runDir.logFile("notify"), "utf8");
    expect(log).toMatch(/lost the hypervisor; running on, reconnecting/);
    expect(log).toMatch(/reconnected to the hypervisor/);
  }, 60_000);

  it("re-posts the in-flight virtio-rng buffer, so /dev/hwrng serves again after the restart", async () => {
    const r = await c.raw.request({ t: "rng.read", vm: "notify", source: "hwrng", len: 256 });
    expect(r.t).toBe("rng.data");
    if (r.t === "rng.data") {
      expect(r.data.length).toBe(256);
      expect(new Set(r.data).size).toBeGreaterThan(64);
    }
  }, 30_000);
});
