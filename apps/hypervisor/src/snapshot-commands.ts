import type { GuestSpec } from "@vmrng/cluster";
import { type LinkClient, WireError } from "@vmrng/wire";
import type { GuestSession } from "./guest-session.js";
import { readSnapshot, snapshotPath, type VmSnapshot, writeSnapshot } from "./snapshot-file.js";

export interface SnapshotContext {
  hypervisor: string;
  snapshotDir: string;
  sessions: Map<string, GuestSession>;
  session: (vm: string) => GuestSession;
  /** A new VM under this hypervisor, started from `from` instead of a cold boot. */
  addSession: (spec: GuestSpec, from: VmSnapshot) => GuestSession;
}

/**
 * snap.save / snap.clone / snap.restore: the VMM side of snapshots. Saving asks the guest for
 * its complete state (`guest.save`: serialize() runs in one turn of the guest's event loop, so
 * the guest is stopped for the copy) and adds what only the VMM holds (spec, vmgenid bytes,
 * VMClock counter). Cloning starts new guest processes from that file.
 */
export function registerSnapshotCommands(host: LinkClient, ctx: SnapshotContext): void {
  let autoName = 0;

  async function save(vm: string, name: string): Promise<{ snap: VmSnapshot; size: number }> {
    const s = ctx.session(vm);
    if (!s.link || s.phase !== "running") {
      throw new WireError("E_CONFLICT", `cannot snapshot "${vm}": it is ${s.phase}`);
    }
    const r = await s.link.request({ t: "guest.save" }, { timeoutMs: 10_000 });
    const snap: VmSnapshot = {
      vm,
      hypervisor: ctx.hypervisor,
      takenAt: new Date().toISOString(),
      vtimeMs: r.vtimeMs,
      spec: s.spec,
      vmgenidId: s.backends.vmgenid?.id ?? null,
      generationCounter: s.backends.vmclock?.generationCounter ?? null,
      state: r.state,
    };
    const size = writeSnapshot(snapshotPath(ctx.snapshotDir, name), snap);
    return { snap, size };
  }
  const pickName = (vm: string) => `${vm}-s${Date.now().toString(36)}${++autoName}`;

  host.handle("snap.save", async (msg) => {
    const name = msg.snapshot ?? pickName(msg.vm);
    const { snap, size } = await save(msg.vm, name);
    return {
      t: "snap.saved",
      vm: msg.vm,
      snapshot: name,
      size: BigInt(size),
      vtimeMs: snap.vtimeMs,
    };
  });

  host.handle("snap.clone", async (msg) => {
    if (ctx.sessions.has(msg.clone)) {
      throw new WireError("E_CONFLICT", `a VM "${msg.clone}" already exists`);
    }
    let name = msg.snapshot;
    let snap: VmSnapshot;
    if (name === undefined) {
      name = pickName(msg.vm);
      snap = (await save(msg.vm, name)).snap;
    } else {
      snap = readSnapshot(snapshotPath(ctx.snapshotDir, name));
    }
    const s = ctx.addSession({ ...snap.spec, id: msg.clone, hypervisor: ctx.hypervisor }, snap);
    await s.whenRunning();
    return { t: "snap.cloned", vm: msg.clone, from: snap.vm, snapshot: name };
  });

  host.handle("snap.restore", async (msg) => {
    const snap = readSnapshot(snapshotPath(ctx.snapshotDir, msg.snapshot));
    const old = ctx.sessions.get(msg.vm);
    if (old) {
      await old.stop(2000);
      old.backends.detach();
      ctx.sessions.delete(msg.vm);
    }
    const s = ctx.addSession({ ...snap.spec, id: msg.vm, hypervisor: ctx.hypervisor }, snap);
    await s.whenRunning();
    return { t: "vm.state", vm: msg.vm, state: s.phase, ...(s.child ? { pid: s.child.pid } : {}) };
  });
}
