import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { forceDown, readState } from "./helpers/cluster.js";
import { vmrng } from "./helpers/run-vmrng.js";

/**
 * `vmrng qemu-demo` end to end, the way a user without a terminal runs it (--batch): it starts
 * the demo cluster, boots a real QEMU guest on the host's EGD port, prints the console and the
 * host's accounting, and stops the cluster it started. Needs QEMU and busybox-static (the test
 * fails without them, as .ci/run installs them).
 */
const dirs: string[] = [];
const tempRunDir = (): string => {
  const d = join(mkdtempSync(join(tmpdir(), "vmrng-qemu-demo-")), "run");
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await forceDown(d);
}, 30_000);

describe("vmrng qemu-demo", () => {
  it("boots a real guest on the host's EGD server and reports what the host served", async () => {
    const dir = tempRunDir();
    const r = await vmrng(["qemu-demo", "--batch", "-n", "4K", "--run-dir", dir], {
      timeoutMs: 150_000,
    });
    const out = r.stdout.toString();
    expect(r.stderr).toContain(`cluster "qemu-demo" runs in ${dir}`);
    expect(r.stderr).toMatch(
      /booting linux-image-\S+ \(\S+\) under tcg: virtio-rng-pci ← rng-egd ← 127\.0\.0\.1:\d+/,
    );
    expect(r.code, `${r.stderr}\n${out.slice(-2000)}`).toBe(0);
    expect(out).toContain("vmrng-guest: hwrng available=virtio_rng.0 current=virtio_rng.0");
    expect(out).toMatch(/\] random: crng init done\r?\n/);
    const read = /vmrng-guest: read round=1 device=virtio_rng\.0 bytes=4096 .* irqs=(\d+)/.exec(
      out,
    );
    expect(read).not.toBeNull();
    const bye = /vmrng-guest: bye irqs=(\d+)/.exec(out);
    const final =
      /vmrng: host EGD on 127\.0\.0\.1:\d+: (\d+) bytes served in (\d+) requests to 1 connection — no client connected now \(final\)/.exec(
        out,
      );
    expect(final, out.slice(-1500)).not.toBeNull();
    const [bytes, requests] = [Number(final![1]), Number(final![2])];
    // Every request one 64-byte virtio buffer; all of them counted by the guest, bar one in flight.
    expect(bytes).toBe(64 * requests);
    expect([0, 64]).toContain(bytes - 64 * Number(bye![1]));
    expect(r.stderr).toContain('cluster "qemu-demo" stopped');
    expect(readState(dir)).toBeUndefined();
  }, 180_000);

  it("refuses a read size hw_random cannot serve, and a cluster without EGD", async () => {
    const bad = await vmrng(["qemu-demo", "--batch", "-n", "100", "--run-dir", tempRunDir()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "vmrng: --bytes must be a positive multiple of 64 (hw_random reads 64 bytes at a time), got 100\n",
    );
    const dir = tempRunDir();
    const up = await vmrng(
      ["up", "--detach", "--run-dir", dir, "--set", "hypervisors.0.guests=[]"],
      {
        timeoutMs: 30_000,
      },
    );
    expect(up.code, up.stderr).toBe(0);
    const r = await vmrng(["qemu-demo", "--batch", "--run-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `vmrng: the cluster "default" in ${dir} runs without its EGD server; start one with host.egd.enabled ('vmrng up --set host.egd.enabled=true …') or pick another --run-dir\n`,
    );
  }, 60_000);
});
