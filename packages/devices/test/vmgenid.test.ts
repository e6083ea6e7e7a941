import { ManualClock } from "@vmrng/crng";
import { describe, expect, it } from "vitest";
import {
  ACPI_NOTIFY_VMGENID,
  DeviceConfigError,
  VmGenIdDevice,
  VmGenIdDriver,
} from "../src/index.js";
import { RecordingSink, testBytes } from "./helpers.js";

describe("vmgenid device", () => {
  it("publishes 16 bytes and a new ID plus Notify(0x80) per generation", () => {
    const src = testBytes("genid");
    const ref = testBytes("genid");
    const dev = new VmGenIdDevice(src, new ManualClock());
    expect(dev.id).toEqual(ref(16));
    const g = dev.newGeneration();
    expect(g.id).toEqual(ref(16));
    expect(g.notify).toEqual({ kind: "acpi-notify", value: 0x80 });
    expect(ACPI_NOTIFY_VMGENID).toBe(0x80);
    expect(dev.generation).toBe(1);
    expect(dev.accounting()).toMatchObject({ channel: "vmgenid", requests: 2, bytes: 32 });
    // The ID handed out is a copy: the guest cannot scribble on the hypervisor's state.
    g.id.fill(0);
    expect(dev.id).not.toEqual(new Uint8Array(16));
  });

  it("never republishes the current ID, and refuses IDs of the wrong size", () => {
    let calls = 0;
    const same = (n: number) =>
      calls++ < 2 ? new Uint8Array(n).fill(1) : new Uint8Array(n).fill(2);
    const dev = new VmGenIdDevice(same, new ManualClock());
    expect(dev.newGeneration().id).toEqual(new Uint8Array(16).fill(2));
    expect(() => new VmGenIdDevice(testBytes("x"), new ManualClock(), new Uint8Array(8))).toThrow(
      DeviceConfigError,
    );
  });
});

describe("vmgenid driver (drivers/virt/vmgenid.c)", () => {
  it("probe: add_device_randomness(id); unchanged notify is ignored; change -> vmfork + uevent", () => {
    const dev = new VmGenIdDevice(testBytes("genid"), new ManualClock());
    const sink = new RecordingSink();
    const drv = new VmGenIdDriver(sink, () => dev.id);
    expect(drv.probe()).toEqual({ kind: "probed" });
    expect(sink.calls).toEqual([{ fn: "device", buf: dev.id }]);

    expect(drv.notify(0x80)).toEqual({ kind: "unchanged" });
    expect(sink.calls).toHaveLength(1);

    const { id } = dev.newGeneration();
    expect(drv.notify(0x80)).toEqual({
      kind: "vmfork",
      id,
      uevent: { action: "change", env: ["NEW_VMGENID=1"] },
    });
    expect(sink.calls[1]).toEqual({ fn: "vmfork", id });
    expect(drv.currentId).toEqual(id);
    // A second notify for the same generation is ignored again.
    expect(drv.notify(0x80)).toEqual({ kind: "unchanged" });
    expect(sink.of("vmfork")).toHaveLength(1);
  });

  it("reports bad input instead of crashing", () => {
    const sink = new RecordingSink();
    let id = new Uint8Array(16);
    const drv = new VmGenIdDriver(sink, () => id);
    expect(drv.notify(0x80)).toMatchObject({ kind: "driver-error", code: "NOT_PROBED" });
    drv.probe();
    id = new Uint8Array(3);
    expect(drv.notify(0x80)).toMatchObject({ kind: "driver-error", code: "BAD_ID_LENGTH" });
    expect(sink.of("vmfork")).toEqual([]);
  });
});
