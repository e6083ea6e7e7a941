import type { ByteSource } from "@vmrng/devices";
import { describe, expect, it } from "vitest";
import { GuestSyscallError } from "../src/kernel/index.js";
import { flush, makeGuest, RecordingSource, runUntil, seeded, spec } from "./hypervisor.js";

const errorCodes = (k: ReturnType<typeof makeGuest>["kernel"]) =>
  k
    .events()
    .filter((e) => e.kind === "driver-error" && e.data?.channel === "virtio-rng")
    .map((e) => e.data?.code ?? e.message);

describe("malformed virtio-rng answers", () => {
  it("are logged as driver errors and the guest keeps serving", async () => {
    const g = makeGuest(spec({ seed: "absent", rdrand: { mode: "absent", failProbability: 0 } }), {
      hv: { answerVirtio: false, noMsr: true },
    });
    const { kernel, hv } = g;
    await kernel.boot();
    expect(hv.held).toEqual([{ id: 0, len: 64 }]);
    expect(kernel.crngInit).toBe("EMPTY");

    kernel.onVirtioUsed(5, new Uint8Array(64).fill(1)); // never posted
    kernel.onVirtioUsed(-1, new Uint8Array(8)); // not a descriptor head
    kernel.onVirtioUsed(2, "garbage" as unknown as Uint8Array); // not bytes
    kernel.onVirtioUsed(0, seeded("device")(100)); // longer than the 64-byte buffer: clamped
    kernel.onVirtioUsed(0, new Uint8Array(64).fill(2)); // the same head again
    await flush();
    expect(errorCodes(kernel)).toEqual([
      "unknown-descriptor",
      "malformed used element (id -1)",
      "malformed used element (id 2)",
      "used-len-overflow",
      "duplicate-used",
    ]);
    // The clamped buffer was still 64 good bytes: credited, READY.
    const st = kernel.status();
    expect(st.readySource).toBe("virtio-rng");
    expect(st.channels.find((c) => c.channel === "virtio-rng")!.errors).toBe(5);
    expect(kernel.dmesg().filter((l) => l.includes("vmrng: virtio-rng:"))).toHaveLength(5);
    // And it keeps serving, and keeps talking to the device properly.
    expect((await kernel.getrandom(32)).length).toBe(32);
    // Head 0 was answered (by the forgery above): the real device only sees what is new.
    expect(hv.held.shift()).toEqual({ id: 0, len: 64 });
    hv.release();
    await runUntil(kernel, g.clock, 3000, 100);
    expect(hv.virtio.accounting().requests).toBeGreaterThanOrEqual(2);
    expect(errorCodes(kernel)).toHaveLength(5);
  });

  it("an empty answer is an error, and a device that answers empty at once cannot wedge it", async () => {
    const empty: ByteSource = { generate: () => new Uint8Array(0) };
    const { kernel, clock } = makeGuest(spec(), { hv: { virtioSource: empty, noMsr: true } });
    const codes: unknown[] = [];
    kernel.onEvent((e) => {
      if (e.kind === "driver-error") codes.push(e.data?.code ?? e.message);
    });
    const r = await kernel.boot();
    expect(r.kind).toBe("running");
    expect(codes[0]).toBe("empty-used");
    expect(codes).toContain("more than 10000 used buffers in one go; the rest waits");
    // The log is rate limited per channel: the rest of dmesg survives the flood.
    const lines = kernel.dmesg();
    expect(lines.filter((l) => l.includes("vmrng: virtio-rng:")).length).toBeLessThanOrEqual(11);
    expect(lines[0]).toContain("Linux version");
    expect((await kernel.getrandom(16)).length).toBe(16);
    clock.set(20);
    kernel.poll();
    expect(kernel.phase).toBe("running");
  });
});

describe("/dev/hwrng", () => {
  it("returns raw device bytes through the virtio-rng driver, from the end of rng_buffer", async () => {
    const source = new RecordingSource(seeded("virtio"));
    const { kernel } = makeGuest(spec(), { hv: { virtioSource: source, noMsr: true } });
    await kernel.boot();
    // READY from the seed; the kthread took buffer 0 and sleeps, buffer 1 waits in data[].
    expect(source.chunks).toHaveLength(2);
    const a = await kernel.readHwrng(16);
    const b = await kernel.readHwrng(16, { nonblock: true });
    expect(a).toEqual(source.chunks[1]!.slice(48, 64));
    expect(b).toEqual(source.chunks[1]!.slice(32, 48));
    // Not the CRNG: nothing from getrandom looks like it.
    const crng = await kernel.getrandom(64);
    expect(Buffer.from(crng).includes(Buffer.from(a))).toBe(false);
    // Draining data[] into rng_buffer re-posted the buffer: a third chunk was requested.
    expect(source.chunks).toHaveLength(3);
  });

  it("EAGAIN with O_NONBLOCK when nothing is there; blocking readers wait for the device", async () => {
    const { kernel, hv } = makeGuest(spec(), { hv: { answerVirtio: false, noMsr: true } });
    await kernel.boot();
    await expect(kernel.readHwrng(8, { nonblock: true })).rejects.toMatchObject({
      code: "EAGAIN",
      errno: 11,
    });
    let got: Uint8Array | null = null;
    const p = kernel.readHwrng(8).then((x) => {
      got = x;
    });
    await flush();
    expect(got).toBeNull();
    hv.release();
    await flush();
    await p;
    expect(got).not.toBeNull();
    expect(got!.length).toBe(8);
  });

  it("ENODEV without a virtio-rng device", async () => {
    const { kernel } = makeGuest(
      spec({ virtioRng: { enabled: false, queueSize: 8, quality: 1024, rateLimit: {} } }),
    );
    await kernel.boot();
    const e = await kernel.readHwrng(8).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GuestSyscallError);
    expect(e).toMatchObject({ code: "ENODEV", errno: 19 });
  });
});

describe("scheduling", () => {
  it("announces every change of its next wake-up, and poll() is idempotent", async () => {
    const wakes: (number | null)[] = [];
    const { kernel, clock } = makeGuest(
      spec({
        seed: "absent",
        virtioRng: { enabled: false, queueSize: 8, quality: 1024, rateLimit: {} },
        interrupts: { perSecond: 100 },
      }),
      { hv: { noMsr: true }, kernel: { onWakeChanged: (t) => wakes.push(t) } },
    );
    await kernel.boot();
    // Interrupts start at local_irq_enable (t = 0): the first one is due at 10 ms.
    expect(kernel.nextWakeAt()).toBe(10);
    expect(wakes.at(-1)).toBe(10);
    clock.set(35);
    kernel.poll();
    kernel.poll();
    expect(kernel.status().interrupts.delivered).toBe(3);
    expect(kernel.nextWakeAt()).toBe(40);
    expect(wakes.at(-1)).toBe(40);
  });
});
