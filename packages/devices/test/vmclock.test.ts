import { ManualClock } from "@vmrng/crng";
import { describe, expect, it } from "vitest";
import {
  DevicesError,
  GenerationCounterDriver,
  readU64,
  u64le,
  VmClockDevice,
  VmGenIdDevice,
  VmGenIdDriver,
  writeU32,
} from "../src/index.js";
import { hexOf, ModelCrng, RecordingSink, testBytes } from "./helpers.js";

describe("vmclock page", () => {
  it("lays out struct vmclock_abi: magic, size, version, flags, seq_count, counter at 104", () => {
    const dev = new VmClockDevice(new ManualClock(), 41n);
    const p = dev.page();
    expect(p).toHaveLength(4096);
    expect(Buffer.from(p.subarray(0, 4)).toString("latin1")).toBe("VCLK");
    expect([...p.subarray(4, 8)]).toEqual([0, 0x10, 0, 0]); // size 4096
    expect([...p.subarray(8, 10)]).toEqual([1, 0]); // version 1
    expect(p[10]).toBe(0xff); // counter_id INVALID
    expect(readU64(p, 24)).toBe(1n << 8n); // VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT
    expect(readU64(p, 104)).toBe(41n);
    dev.beginUpdate();
    expect(dev.page()[12]).toBe(1); // odd seq_count while updating
    dev.endUpdate();
    const q = dev.page();
    expect(q[12]).toBe(2);
    expect(readU64(q, 104)).toBe(42n);
    expect(readU64(q, 16)).toBe(42n); // disruption_marker moved too
    expect(dev.accounting()).toMatchObject({ channel: "vmgenctr", requests: 1 });
  });
});

describe("generation counter driver", () => {
  it("vmforks exactly when the counter moves, with the counter as id", () => {
    const dev = new VmClockDevice(new ManualClock());
    const sink = new RecordingSink();
    const drv = new GenerationCounterDriver({ sink, readPage: () => dev.page() });
    expect(drv.probe()).toBe(1n);
    expect(drv.beforeOutput()).toEqual({ changed: false, counter: 1n });
    dev.bump();
    expect(drv.beforeOutput()).toEqual({ changed: true, counter: 2n, previous: 1n });
    expect(sink.calls).toEqual([{ fn: "vmfork", id: u64le(2n) }]);
    expect(drv.beforeOutput().changed).toBe(false);
  });

  it("retries while seq_count is odd or moving, and gives up with a typed error", () => {
    const dev = new VmClockDevice(new ManualClock());
    let torn = 2;
    const drv = new GenerationCounterDriver({
      sink: new RecordingSink(),
      readPage: () => {
        const p = dev.page();
        if (torn-- > 0) writeU32(p, 12, 7); // an update in progress
        return p;
      },
    });
    expect(drv.probe()).toBe(1n);
    const stuck = new GenerationCounterDriver({
      sink: new RecordingSink(),
      readPage: () => {
        const p = dev.page();
        writeU32(p, 12, 3);
        return p;
      },
      maxRetries: 5,
    });
    expect(() => stuck.readCounter()).toThrow(DevicesError);
  });

  it("refuses a page without the magic or without the generation counter flag", () => {
    const drv = new GenerationCounterDriver({
      sink: new RecordingSink(),
      readPage: () => new Uint8Array(4096),
    });
    expect(() => drv.probe()).toThrow(/magic/);
    const dev = new VmClockDevice(new ManualClock());
    const noFlag = new GenerationCounterDriver({
      sink: new RecordingSink(),
      readPage: () => {
        const p = dev.page();
        p[25] = 0;
        return p;
      },
    });
    try {
      noFlag.probe();
      expect.unreachable();
    } catch (e) {
      expect((e as DevicesError).code).toBe("NO_GEN_COUNTER");
    }
    expect(() =>
      new GenerationCounterDriver({
        sink: new RecordingSink(),
        readPage: () => dev.page(),
      }).beforeOutput(),
    ).toThrow(DevicesError);
  });
});

/**
 * Two clones restored from one snapshot. The hypervisor writes each clone's new vmgenid and
 * bumps the vmclock counter before the clone resumes; the ACPI notify comes later.
 */
describe("the clone window", () => {
  const parentId = new Uint8Array(16).fill(0x11);

  function bootFromSnapshot(cloneName: string) {
    const clock = new ManualClock();
    const genid = new VmGenIdDevice(testBytes(`genid-${cloneName}`), clock, parentId);
    const vmclock = new VmClockDevice(clock, 7n);
    // The guest as it was when the snapshot was taken: deterministic, so identical per clone.
    const crng = new ModelCrng(new Uint8Array(32).fill(0x42));
    const vmgenDrv = new VmGenIdDriver(crng, () => genid.id);
    vmgenDrv.probe();
    return { genid, vmclock, crng, vmgenDrv };
  }

  it("vmgenid alone: both clones emit the same bytes before the notify arrives", () => {
    const a = bootFromSnapshot("a");
    const b = bootFromSnapshot("b");
    expect(hexOf(a.crng.stateBytes)).toBe(hexOf(b.crng.stateBytes));
    a.genid.newGeneration();
    b.genid.newGeneration();
    // Resumed, not yet notified: the duplicate-output window.
    const a1 = a.crng.output();
    const b1 = b.crng.output();
    expect(hexOf(a1)).toBe(hexOf(b1));
    expect(a.vmgenDrv.notify(0x80).kind).toBe("vmfork");
    expect(b.vmgenDrv.notify(0x80).kind).toBe("vmfork");
    expect(hexOf(a.crng.output())).not.toBe(hexOf(b.crng.output()));
  });

  it("the polled counter reseeds before the first output, so clones never repeat", () => {
    const clones = ["a", "b"].map((n) => {
      const g = bootFromSnapshot(n);
      const counter = new GenerationCounterDriver({
        sink: g.crng,
        readPage: () => g.vmclock.page(),
        extraId: () => g.genid.id, // the new ID is already in guest memory
      });
      counter.probe();
      return { ...g, counter };
    });
    for (const c of clones) {
      c.genid.newGeneration();
      c.vmclock.bump();
    }
    const first = clones.map((c) => {
      expect(c.counter.beforeOutput()).toMatchObject({ changed: true, counter: 8n, previous: 7n });
      return hexOf(c.crng.output());
    });
    expect(first[0]).not.toBe(first[1]);
    expect(clones.every((c) => c.crng.forks === 1)).toBe(true);
  });

  it("the counter alone only says *that* a fork happened: clones need unique bytes to diverge", () => {
    const outs = ["a", "b"].map((n) => {
      const g = bootFromSnapshot(n);
      const counter = new GenerationCounterDriver({
        sink: g.crng,
        readPage: () => g.vmclock.page(),
      });
      counter.probe();
      g.vmclock.bump();
      counter.beforeOutput();
      return hexOf(g.crng.output());
    });
    expect(outs[0]).toBe(outs[1]);
  });
});
