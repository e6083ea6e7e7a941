import { ManualClock } from "@vmrng/crng";
import { describe, expect, it } from "vitest";
import {
  ChaChaDrbg,
  FIRECRACKER_RNG_QUEUE_SIZE,
  QEMU_RNG_QUEUE_SIZE,
  RateLimiter,
  VirtioRngDevice,
  VirtioRngError,
} from "../src/index.js";

const seed = new Uint8Array(32).fill(7);

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VirtioRngError);
    return (e as VirtioRngError).code;
  }
  throw new Error("expected a VirtioRngError");
}

describe("virtio-rng device: the ring", () => {
  it("QEMU ring of 8: the 9th buffer finds the avail ring full", () => {
    const dev = new VirtioRngDevice({
      clock: new ManualClock(),
      source: new ChaChaDrbg(seed),
      flavor: "qemu",
    });
    expect(dev.queueSize).toBe(QEMU_RNG_QUEUE_SIZE);
    for (let id = 0; id < 8; id++) dev.post({ id, len: 64 });
    expect(codeOf(() => dev.post({ id: 0, len: 64 }))).toBe("QUEUE_FULL");
    expect(dev.accounting().rejected).toBe(1);
    expect(dev.pending).toBe(8);
  });

  it("refuses a limiter of the other flavour", () => {
    const clock = new ManualClock();
    const source = new ChaChaDrbg(seed);
    expect(
      () =>
        new VirtioRngDevice({
          clock,
          source,
          flavor: "qemu",
          rateLimiter: RateLimiter.unlimited(clock),
        }),
    ).toThrow(/max-bytes/);
    expect(() => new VirtioRngDevice({ clock, source, qemuQuota: { maxBytes: 1 } })).toThrow(
      /token buckets/,
    );
  });

  it("Firecracker ring of 256", () => {
    const dev = new VirtioRngDevice({ clock: new ManualClock(), source: new ChaChaDrbg(seed) });
    expect(dev.queueSize).toBe(FIRECRACKER_RNG_QUEUE_SIZE);
    for (let id = 0; id < 256; id++) dev.post({ id, len: 16 });
    expect(codeOf(() => dev.post({ id: 3, len: 16 }))).toBe("QUEUE_FULL");
  });

  it("refuses heads outside the ring, heads in flight and huge buffers", () => {
    const dev = new VirtioRngDevice({
      clock: new ManualClock(),
      source: new ChaChaDrbg(seed),
      flavor: "qemu",
    });
    expect(codeOf(() => dev.post({ id: 8, len: 64 }))).toBe("BAD_DESCRIPTOR");
    expect(codeOf(() => dev.post({ id: -1, len: 64 }))).toBe("BAD_DESCRIPTOR");
    dev.post({ id: 2, len: 64 });
    expect(codeOf(() => dev.post({ id: 2, len: 64 }))).toBe("DESCRIPTOR_IN_USE");
    expect(codeOf(() => dev.post({ id: 3, len: 2 ** 21 }))).toBe("TOO_LARGE");
    expect(dev.accounting().rejected).toBe(4);
    expect(
      () =>
        new VirtioRngDevice({
          clock: new ManualClock(),
          source: new ChaChaDrbg(seed),
          queueSize: 12,
        }),
    ).toThrow();
  });

  it("fills each buffer from the DRBG, byte for byte", () => {
    const clock = new ManualClock();
    const dev = new VirtioRngDevice({ clock, source: new ChaChaDrbg(seed) });
    const ref = new ChaChaDrbg(seed);
    dev.post({ id: 0, len: 64 });
    dev.post({ id: 1, len: 10 });
    const used = dev.kick();
    expect(used.map((u) => [u.id, u.bytes.length])).toEqual([
      [0, 64],
      [1, 10],
    ]);
    expect(used[0]!.bytes).toEqual(ref.generate(64));
    expect(used[1]!.bytes).toEqual(ref.generate(10));
    expect(dev.accounting()).toMatchObject({ requests: 2, bytes: 74, rejected: 0, deferred: 0 });
  });

  it("uses a read-only buffer with 0 bytes and counts an error (Firecracker)", () => {
    const dev = new VirtioRngDevice({ clock: new ManualClock(), source: new ChaChaDrbg(seed) });
    dev.post({ id: 0, len: 64, writable: false });
    dev.post({ id: 1, len: 0 });
    const used = dev.kick();
    expect(used.map((u) => [u.id, u.bytes.length])).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(dev.accounting().errors).toBe(1);
  });

  it("reset forgets buffers in flight", () => {
    const dev = new VirtioRngDevice({ clock: new ManualClock(), source: new ChaChaDrbg(seed) });
    dev.post({ id: 0, len: 64 });
    dev.reset();
    expect(dev.kick()).toEqual([]);
    dev.post({ id: 0, len: 64 });
    expect(dev.pending).toBe(1);
  });
});

describe("virtio-rng device: rate limiting defers, never drops", () => {
  it("an ops-limited request waits in the ring and is served when the bucket refills", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ ops: { size: 1, refillTimeMs: 1000 } }, clock);
    const dev = new VirtioRngDevice({ clock, source: new ChaChaDrbg(seed), rateLimiter: limiter });
    dev.post({ id: 0, len: 64 });
    dev.post({ id: 1, len: 64 });
    const first = dev.kick();
    expect(first.map((u) => u.id)).toEqual([0]);
    expect(dev.pending).toBe(1);
    expect(dev.nextWakeAt()).toBe(100);
    // A guest kick while blocked does nothing.
    expect(dev.kick()).toEqual([]);
    expect(dev.poll()).toEqual([]); // not due yet

    let served: ReturnType<VirtioRngDevice["poll"]> = [];
    while (served.length === 0) {
      const at = dev.nextWakeAt();
      expect(at).not.toBeNull();
      clock.set(at!);
      served = dev.poll();
    }
    expect(clock.now()).toBe(1000);
    expect(served.map((u) => [u.id, u.bytes.length, u.waitedMs])).toEqual([[1, 64, 1000]]);
    // Throttled at t = 0, 100, ..., 900: ten deferrals, one request.
    expect(dev.accounting()).toMatchObject({ requests: 2, bytes: 128, deferred: 10 });
    expect(dev.nextWakeAt()).toBeNull();
  });

  it("a bytes-limited request gives its op token back", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(
      { ops: { size: 10, refillTimeMs: 1000 }, bandwidth: { size: 64, refillTimeMs: 1000 } },
      clock,
    );
    const dev = new VirtioRngDevice({ clock, source: new ChaChaDrbg(seed), rateLimiter: limiter });
    dev.post({ id: 0, len: 64 });
    dev.post({ id: 1, len: 64 });
    expect(dev.kick().map((u) => u.id)).toEqual([0]);
    expect(limiter.opsBucket!.budget).toBe(9); // second op replenished
    expect(dev.nextWakeAt()).toBe(100);
    // The process was late delivering the timer: by 1000 ms the bytes bucket is full again.
    clock.set(1000);
    expect(dev.poll().map((u) => u.id)).toEqual([1]);
  });

  it("QEMU quota: short fill of the last buffer, the rest after the period", () => {
    const clock = new ManualClock();
    const src = new ChaChaDrbg(seed);
    const ref = new ChaChaDrbg(seed);
    const dev = new VirtioRngDevice({
      clock,
      source: src,
      flavor: "qemu",
      qemuQuota: { maxBytes: 100, periodMs: 1000 },
    });
    for (let id = 0; id < 3; id++) dev.post({ id, len: 64 });
    const used = dev.kick();
    expect(used.map((u) => [u.id, u.bytes.length])).toEqual([
      [0, 64],
      [1, 36],
    ]);
    const expected = ref.generate(100);
    expect(used[0]!.bytes).toEqual(expected.subarray(0, 64));
    expect(used[1]!.bytes).toEqual(expected.subarray(64, 100));
    expect(dev.pending).toBe(1);
    expect(dev.nextWakeAt()).toBe(1000);
    clock.set(1000);
    const later = dev.poll();
    expect(later.map((u) => [u.id, u.bytes.length, u.waitedMs])).toEqual([[2, 64, 1000]]);
  });
});
