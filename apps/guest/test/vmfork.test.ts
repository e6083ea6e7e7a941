import { ManualClock } from "@vmrng/crng";
import { VmClockDevice } from "@vmrng/devices";
import { describe, expect, it } from "vitest";
import { GuestKernel, type VmforkNotice } from "../src/kernel/index.js";
import { hex, makeGuest, seeded, spec, TestHypervisor } from "./hypervisor.js";

describe("vmgenid (ACPI Notify 0x80)", () => {
  it("ignores an unchanged id; a new id reseeds, logs and raises NEW_VMGENID=1", async () => {
    const { kernel, hv } = makeGuest(spec({ vmgenid: { mode: "notify", notifyDelayMs: 0 } }));
    await kernel.boot();
    const notices: VmforkNotice[] = [];
    kernel.onVmfork((n) => notices.push(n));
    const gen0 = kernel.crng.generation;

    expect(await kernel.onAcpiNotify(0x80)).toEqual({ kind: "unchanged", bytesRead: 16 });
    expect(kernel.crng.generation).toBe(gen0);
    expect(notices).toEqual([]);
    expect(kernel.events().some((e) => e.kind === "vmfork")).toBe(false);

    const { id } = hv.vmgenid.newGeneration();
    const r = await kernel.onAcpiNotify(0x80);
    expect(r).toMatchObject({
      kind: "vmfork",
      id,
      uevent: { action: "change", env: ["NEW_VMGENID=1"] },
    });
    expect(kernel.crng.generation).toBe(gen0 + 1n);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ source: "vmgenid", id, uevent: { env: ["NEW_VMGENID=1"] } });
    expect(kernel.dmesg().at(-1)).toBe(
      "[    0.000000] random: crng reseeded due to virtual machine fork",
    );
    const reseeds = kernel.events().filter((e) => e.kind === "reseed");
    expect(reseeds.at(-1)?.data?.reason).toBe("vmfork");
    const st = kernel.status();
    expect(st.vmgenid.id).toBe(hex(id));
    expect(st.channels.find((c) => c.channel === "vmgenid")).toMatchObject({
      requests: 3,
      bytes: 48,
    });
  });

  it("a notify without a vmgenid device is a driver error, nothing else", async () => {
    const { kernel } = makeGuest(spec({ vmgenid: { mode: "off", notifyDelayMs: 0 } }));
    await kernel.boot();
    expect(await kernel.onAcpiNotify(0x80)).toEqual({ kind: "no-device" });
    expect(kernel.events().at(-1)?.kind).toBe("driver-error");
  });
});

/** A parent booted in `mode`, snapshotted, then its next output. */
async function parentAndSnapshot(mode: "notify" | "counter") {
  const s = spec({ vmgenid: { mode, notifyDelayMs: 0 } }, "parent");
  const parent = makeGuest(s, { clock: new ManualClock(0) });
  await parent.kernel.boot();
  parent.clock.set(5000);
  parent.kernel.poll();
  const snap = structuredClone(parent.kernel.serialize());
  const next = await parent.kernel.getrandom(32);
  return { s, parent, snap, next };
}

/** Restore `snap` under a fresh hypervisor that did (or did not) bump the generation. */
function cloneOf(
  snap: ReturnType<GuestKernel["serialize"]>,
  s: ReturnType<typeof spec>,
  label: string,
  bump: boolean,
) {
  const clock = new ManualClock(snap.takenAtMs);
  const hv = new TestHypervisor(label, {}, clock);
  // The clone's VMClock continues the parent's counter; a clone/restore bumps it.
  (hv as { vmclock: VmClockDevice }).vmclock = new VmClockDevice(clock, 1n);
  if (bump) {
    hv.vmclock.bump();
    hv.vmgenid.newGeneration();
  }
  const kernel = GuestKernel.restore(
    snap,
    { spec: s, clock, transport: hv.transport(), randomBytes: seeded(`rdrand/${label}`) },
    { vmclockPage: hv.vmclock.page() },
  );
  hv.kernel = kernel;
  return { kernel, hv, clock };
}

describe("clones and the generation counter", () => {
  it("counter mode: a clone never returns its parent's next output", async () => {
    const { s, snap, next } = await parentAndSnapshot("counter");
    expect(snap.generationCounter).toBe(1n);
    // Control: restored without a bump, the clone repeats the parent byte for byte.
    const twin = cloneOf(snap, s, "twin", false);
    expect(hex(await twin.kernel.getrandom(32))).toBe(hex(next));

    const clone = cloneOf(snap, s, "clone", true);
    const notices: VmforkNotice[] = [];
    clone.kernel.onVmfork((n) => notices.push(n));
    const seen = new Set<string>([hex(next)]);
    for (let i = 0; i < 16; i++) {
      const out = hex(await clone.kernel.getrandom(32));
      expect(seen.has(out)).toBe(false);
      seen.add(out);
    }
    expect(notices).toMatchObject([{ source: "counter", previous: 1n, counter: 2n }]);
    expect(clone.kernel.status().generationCounter).toBe(2n);
    // add_vmfork_randomness ran before the first byte: the reseed precedes every output.
    expect(clone.kernel.crng.generation).toBe(snap.crng.base.generation + 1n);
    // Sibling clones see the same counter but different vmgenid bytes: they differ too.
    const sibling = cloneOf(snap, s, "sibling", true);
    expect(seen.has(hex(await sibling.kernel.getrandom(32)))).toBe(false);
  });

  it("notify mode: the clone repeats its parent until the ACPI notify arrives (the window)", async () => {
    const { s, snap, next } = await parentAndSnapshot("notify");
    const clone = cloneOf(snap, s, "clone", true);
    expect(hex(await clone.kernel.getrandom(32))).toBe(hex(next));
    expect((await clone.kernel.onAcpiNotify()).kind).toBe("vmfork");
    const after = await clone.kernel.getrandom(32);
    expect(hex(after)).not.toBe(hex(next));
  });

  it("a running guest checks the counter before every output, /dev/hwrng included", async () => {
    const { kernel, hv } = makeGuest(spec({ vmgenid: { mode: "counter", notifyDelayMs: 0 } }));
    await kernel.boot();
    const order: string[] = [];
    kernel.onEvent((e) => {
      if (e.kind === "vmfork" || e.kind === "reseed") order.push(e.kind);
    });
    await kernel.getrandom(8);
    hv.vmclock.bump();
    kernel.onVmclockPage(hv.vmclock.page());
    const gen = kernel.crng.generation;
    await kernel.readUrandom(8);
    expect(order).toEqual(["reseed", "vmfork"]);
    expect(kernel.crng.generation).toBe(gen + 1n);
    hv.vmclock.bump();
    kernel.onVmclockPage(hv.vmclock.page());
    await kernel.readHwrng(8);
    expect(kernel.status().generationCounter).toBe(3n);
    const counter = kernel.status().channels.find((c) => c.channel === "counter")!;
    expect(counter.requests).toBe(4); // probe + three outputs
  });
});
