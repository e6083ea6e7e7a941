import type { ClusterEvent } from "@vmrng/cluster/control";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster, until } from "./harness.js";

/**
 * Issue 6: a WireGuard-style peer inside the guest (apps/guest/src/userspace/wireguard.ts)
 * holds session keys drawn from getrandom and drops them on the vmfork notification, as
 * drivers/net/wireguard/device.c wg_vm_notification does. Cloned in each vmgenid mode: off
 * keeps the parent's keys (the danger), notify drops them once the ACPI notify is handled
 * (after using them in the window), counter drops them before the clone's first packet.
 * No RDRAND and no MSR: only what the platform tells a clone can make it differ.
 */
const NOTIFY_DELAY_MS = 1500;
const wg = "userspace: [{ program: wireguard, sessions: 2, packetEveryMs: 200 }]";
const CLUSTER = `
name: wg
defaults:
  rdrand: { mode: absent }
  msr: { enabled: false }
  ${wg}
hypervisors:
  - id: hv1
    guests:
      - { id: wg-off, vmgenid: { mode: off } }
      - { id: wg-notify, vmgenid: { mode: notify, notifyDelayMs: ${NOTIFY_DELAY_MS} } }
      - { id: wg-counter, vmgenid: { mode: counter, notifyDelayMs: ${NOTIFY_DELAY_MS} } }
`;

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster(CLUSTER);
  for (const g of ["wg-off", "wg-notify", "wg-counter"]) {
    await c.waitFor(g, (s) => s.crng?.init === "READY");
    await until(() => (keypairs(g).size === 2 ? true : undefined), 15_000, `${g}'s two keypairs`);
  }
}, 60_000);
afterAll(async () => {
  await c?.stop();
}, 30_000);

type Wg = ClusterEvent & { data: Record<string, unknown> };
const wgEvents = (node: string, action?: string): Wg[] =>
  c.events.filter(
    (e): e is Wg =>
      e.node === node &&
      e.kind === "userspace.wireguard" &&
      (action === undefined || e.data?.action === action),
  );
/** session -> fingerprint of its newest keypair, from the history. */
function keypairs(node: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const e of wgEvents(node, "keypair-created"))
    m.set(e.data.session as number, e.data.keyFingerprint as string);
  return m;
}
const allFingerprints = (node: string) =>
  new Set(wgEvents(node, "keypair-created").map((e) => e.data.keyFingerprint as string));

async function cloneOf(vm: string, clone: string) {
  const before = keypairs(vm);
  const r = await c.control.clone(vm, clone);
  expect(r).toMatchObject({ vm: clone, from: vm });
  const restored = await until(
    () =>
      wgEvents(clone, "keypair-restored").length === 2
        ? wgEvents(clone, "keypair-restored")
        : undefined,
    10_000,
    `${clone}'s resumed keypairs`,
  );
  return { before, restored };
}

describe("wireguard demo through real processes", () => {
  it("logs WireGuard's own lines for peers, handshakes and keypairs, and never an event with a key", async () => {
    const log = (await c.control.logs("wg-off", { lines: 1000 })).lines.map((l) => l.text);
    expect(log).toContain("wireguard: wg0: Peer 1 created");
    expect(log).toContain(
      "wireguard: wg0: Sending handshake initiation to peer 2 (192.0.2.2:51820)",
    );
    expect(
      log.filter((t) => /^wireguard: wg0: Keypair \d+ created for peer [12]$/.test(t)),
    ).toHaveLength(2);
    for (const e of wgEvents("wg-off")) {
      expect(Object.keys(e.data).sort()).not.toContain("key");
      if (e.data.keyFingerprint !== undefined)
        expect(e.data.keyFingerprint).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("off: the clone keeps its parent's session keys and never learns it was forked (the danger)", async () => {
    const { before, restored } = await cloneOf("wg-off", "wg-off-c1");
    for (const e of restored)
      expect(e.data.keyFingerprint).toBe(before.get(e.data.session as number));
    // Keep it running past a notify delay: nothing ever tells it.
    await new Promise((r) => setTimeout(r, NOTIFY_DELAY_MS + 500));
    expect(wgEvents("wg-off-c1", "keys-cleared")).toEqual([]);
    expect(wgEvents("wg-off-c1", "keypair-created")).toEqual([]);
    expect(c.events.some((e) => e.node === "wg-off-c1" && e.kind === "vmfork")).toBe(false);
  }, 30_000);

  it("notify: the clone uses the parent's keys in the window, clears them on the notify, then rekeys fresh", async () => {
    const { before, restored } = await cloneOf("wg-notify", "wg-notify-c1");
    for (const e of restored)
      expect(e.data.keyFingerprint).toBe(before.get(e.data.session as number));
    const cleared = await until(
      () =>
        wgEvents("wg-notify-c1", "keys-cleared").length === 2
          ? wgEvents("wg-notify-c1", "keys-cleared")
          : undefined,
      10_000,
      "the clone's keys to be cleared",
    );
    const vmfork = c.events.find((e) => e.node === "wg-notify-c1" && e.kind === "vmfork");
    expect(vmfork?.data?.source).toBe("vmgenid");
    for (const e of cleared) {
      expect(e.data.keyFingerprint).toBe(before.get(e.data.session as number));
      expect(e.vtimeMs).toBeGreaterThanOrEqual(vmfork!.vtimeMs);
      // Packets every 200 ms, notify after 1500 ms: the parent's keys were used in the window.
      expect(e.data.sentSinceResume as number).toBeGreaterThan(0);
    }
    const fresh = await until(
      () => (keypairs("wg-notify-c1").size === 2 ? keypairs("wg-notify-c1") : undefined),
      10_000,
      "the clone's fresh keypairs",
    );
    const parents = allFingerprints("wg-notify");
    for (const fp of fresh.values()) expect(parents.has(fp)).toBe(false);
    const log = (await c.control.logs("wg-notify-c1", { lines: 1000 })).lines.map((l) => l.text);
    expect(
      log.some((t) => /^vmrng: wireguard: wg0: keys of peer 1 cleared after VM fork/.test(t)),
    ).toBe(true);
  }, 30_000);

  it("counter: the clone drops the keys before its first packet and never uses the parent's", async () => {
    const { before, restored } = await cloneOf("wg-counter", "wg-counter-c1");
    for (const e of restored)
      expect(e.data.keyFingerprint).toBe(before.get(e.data.session as number));
    const cleared = await until(
      () =>
        wgEvents("wg-counter-c1", "keys-cleared").length === 2
          ? wgEvents("wg-counter-c1", "keys-cleared")
          : undefined,
      10_000,
      "the clone's keys to be cleared",
    );
    for (const e of cleared) expect(e.data.sentSinceResume).toBe(0);
    const fresh = await until(
      () => (keypairs("wg-counter-c1").size === 2 ? keypairs("wg-counter-c1") : undefined),
      10_000,
      "the clone's fresh keypairs",
    );
    const parents = allFingerprints("wg-counter");
    for (const fp of fresh.values()) expect(parents.has(fp)).toBe(false);
    const vmfork = c.events.find((e) => e.node === "wg-counter-c1" && e.kind === "vmfork");
    expect(vmfork?.data?.source).toBe("counter");
  }, 30_000);
});
