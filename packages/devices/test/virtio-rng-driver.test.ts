import { ManualClock } from "@vmrng/crng";
import { describe, expect, it } from "vitest";
import {
  ChaChaDrbg,
  effectiveQuality,
  fillCredit,
  rngBufferSize,
  VirtioRngDevice,
  VirtioRngDriver,
  type VirtioRngDriverEvent,
} from "../src/index.js";
import { RecordingSink } from "./helpers.js";

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

function setup(
  opts: { quality?: number; defaultQuality?: number; requestTimeoutMs?: number } = {},
) {
  const clock = new ManualClock();
  const sink = new RecordingSink();
  const drv = new VirtioRngDriver({ sink, clock, queueSize: 8, ...opts });
  return { clock, sink, drv };
}

const errors = (ev: VirtioRngDriverEvent[]) =>
  ev.filter((e) => e.kind === "driver-error").map((e) => (e as { code: string }).code);

describe("hw_random arithmetic", () => {
  it("buffer is 64 bytes and virtio-rng's quality resolves to 1024 in 6.x", () => {
    expect(rngBufferSize()).toBe(64);
    expect(effectiveQuality()).toBe(1024); // .quality unset -> 1024, default_quality 1024
    expect(effectiveQuality(1000)).toBe(1000);
    expect(effectiveQuality(0, 700)).toBe(700);
    expect(effectiveQuality(2000, 5000)).toBe(1024);
  });

  it("credit = bytes * 8 * quality / 1024, remainder carried only when below one bit", () => {
    expect(fillCredit(64, 1000, 0)).toEqual({ bits: 500, carried: 0 });
    expect(fillCredit(64, 1024, 0)).toEqual({ bits: 512, carried: 0 });
    expect(fillCredit(1, 100, 0)).toEqual({ bits: 0, carried: 800 });
    expect(fillCredit(1, 100, 800)).toEqual({ bits: 1, carried: 800 }); // kernel never clears it
  });
});

describe("virtio-rng driver state machine", () => {
  it("probe posts one 64-byte buffer; nothing runs before register", () => {
    const { drv } = setup();
    drv.probe();
    expect(drv.next()).toEqual({ kind: "post", id: 0, len: 64 });
    expect(drv.next()).toEqual({ kind: "idle" });
  });

  it("register before the device answered: the early read gets nothing", () => {
    const { drv, sink } = setup();
    drv.probe();
    drv.next();
    drv.register();
    expect(sink.calls).toEqual([]);
    expect(drv.drainEvents()).toEqual([{ kind: "early-randomness", bytes: 0, creditedBits: 0 }]);
    expect(drv.next()).toEqual({ kind: "wait", id: 0, deadline: null });
  });

  it("fill loop: 64 bytes -> add_hwgenerator_randomness(buf, 512, true), then the sleep it asks for", () => {
    const { drv, sink, clock } = setup();
    sink.sleepMs = 60_000;
    drv.probe();
    drv.next();
    drv.register();
    drv.drainEvents();
    drv.next();
    drv.onUsed(0, bytes(64, 0x5a));
    // Draining data[] re-posts it under the next head, then the kthread sleeps.
    expect(drv.next()).toEqual({ kind: "post", id: 1, len: 64 });
    expect(drv.next()).toEqual({ kind: "sleep", ms: 60_000, untilMs: 60_000 });
    expect(sink.calls).toEqual([
      { fn: "hwgen", buf: bytes(64, 0x5a), bits: 512, sleepAfter: true },
    ]);
    expect(drv.drainEvents()).toEqual([
      { kind: "credit", bytes: 64, creditedBits: 512, sleepMs: 60_000 },
    ]);
    clock.advance(60_000);
    expect(drv.next()).toEqual({ kind: "wait", id: 1, deadline: null });
  });

  it("with quality 1000 each 64-byte read credits 64*8*1000/1024 = 500 bits", () => {
    const { drv, sink } = setup({ quality: 1000 });
    drv.probe();
    drv.register();
    for (let i = 0; i < 3; i++) {
      let a = drv.next();
      while (a.kind === "post") a = drv.next();
      expect(a.kind).toBe("wait");
      drv.onUsed((a as { id: number }).id, bytes(64, i));
    }
    drv.next();
    expect(sink.of("hwgen").map((c) => c.bits)).toEqual([500, 500, 500]);
  });

  it("early read when the device already answered: 32 bytes, credited, no sleep", () => {
    const { drv, sink } = setup();
    drv.probe();
    drv.next();
    drv.onUsed(
      0,
      Uint8Array.from({ length: 64 }, (_, i) => i),
    );
    drv.register();
    expect(sink.calls).toEqual([
      {
        fn: "hwgen",
        buf: Uint8Array.from({ length: 32 }, (_, i) => i),
        bits: 256,
        sleepAfter: false,
      },
    ]);
    // The fill loop gets the other 32 bytes, then needs a fresh buffer for the rest.
    expect(drv.buffered).toBe(32);
    expect(drv.next()).toEqual({ kind: "post", id: 1, len: 64 });
    expect(drv.next()).toEqual({ kind: "wait", id: 1, deadline: null });
    drv.onUsed(1, bytes(64, 0xee));
    // The CRNG asked for no sleep, so the kthread goes straight on: it drains the other 32
    // bytes of 0xee and has to post again.
    expect(drv.next()).toEqual({ kind: "post", id: 2, len: 64 });
    const fill = sink.of("hwgen")[1]!;
    expect([...fill.buf.subarray(0, 32)]).toEqual(Array.from({ length: 32 }, (_, i) => 32 + i));
    expect([...fill.buf.subarray(32)]).toEqual(new Array(32).fill(0xee));
    expect(fill.bits).toBe(512);
    expect(drv.buffered).toBe(0);
  });

  it("hw_random.default_quality=0 makes every read, early one included, credit 0", () => {
    const { drv, sink } = setup({ defaultQuality: 0 });
    drv.probe();
    drv.onUsed(0, bytes(64, 1));
    drv.register();
    expect(sink.of("hwgen")[0]!.bits).toBe(0);
  });
});

describe("virtio-rng driver against malformed answers", () => {
  function running(opts: { requestTimeoutMs?: number } = {}) {
    const s = setup(opts);
    s.drv.probe();
    s.drv.register();
    s.drv.next();
    s.drv.drainEvents();
    return s;
  }

  it("unknown head, duplicate head: driver errors, state unchanged", () => {
    const { drv, sink } = running();
    drv.onUsed(5, bytes(64, 1));
    expect(errors(drv.drainEvents())).toEqual(["unknown-descriptor"]);
    drv.onUsed(0, bytes(64, 2));
    drv.next(); // credit, re-post head 1
    drv.onUsed(0, bytes(64, 3)); // head 0 again
    expect(errors(drv.drainEvents())).toEqual(["duplicate-used"]);
    expect(sink.of("hwgen")).toHaveLength(1);
    drv.onUsed(1, bytes(64, 4));
    drv.next();
    expect(sink.of("hwgen").map((c) => c.buf[0])).toEqual([2, 4]);
  });

  it("a used length beyond the buffer is clamped to 64", () => {
    const { drv, sink } = running();
    drv.onUsed(0, bytes(100, 9));
    drv.next();
    expect(errors(drv.drainEvents())).toEqual(["used-len-overflow"]);
    expect(sink.of("hwgen")[0]!.buf).toEqual(bytes(64, 9));
  });

  it("short answers are legal: two 32-byte answers make one 64-byte credit", () => {
    const { drv, sink } = running();
    drv.onUsed(0, bytes(32, 1));
    expect(drv.next()).toEqual({ kind: "post", id: 1, len: 64 });
    drv.onUsed(1, bytes(32, 2));
    drv.next();
    expect(sink.of("hwgen")[0]!.buf).toEqual(new Uint8Array([...bytes(32, 1), ...bytes(32, 2)]));
  });

  it("an empty answer: driver error, a fresh buffer, and hwrng's 10 s back-off", () => {
    const { drv, clock } = running();
    drv.onUsed(0, new Uint8Array(0));
    expect(drv.next()).toEqual({ kind: "post", id: 1, len: 64 });
    expect(drv.next()).toEqual({ kind: "sleep", ms: 10_000, untilMs: 10_000 });
    const ev = drv.drainEvents();
    expect(errors(ev)).toEqual(["empty-used"]);
    expect(ev).toContainEqual({ kind: "empty-read", sleepMs: 10_000 });
    clock.advance(10_000);
    expect(drv.next()).toEqual({ kind: "wait", id: 1, deadline: null });
  });

  it("timeout: gives up on the head, posts another, and discards the late answer", () => {
    const { drv, sink, clock } = running({ requestTimeoutMs: 50 });
    expect(drv.next()).toEqual({ kind: "wait", id: 0, deadline: 50 });
    clock.advance(50);
    expect(drv.next()).toEqual({ kind: "post", id: 1, len: 64 });
    expect(errors(drv.drainEvents())).toEqual(["timeout"]);
    drv.onUsed(0, bytes(64, 0xbb)); // the device was slow, not dead
    expect(errors(drv.drainEvents())).toEqual(["late-used"]);
    drv.onUsed(1, bytes(64, 0xcc));
    drv.next();
    expect(sink.of("hwgen").map((c) => c.buf[0])).toEqual([0xcc]);
  });

  it("remove() resets everything; probe/register start over", () => {
    const { drv } = running();
    drv.remove();
    expect(drv.next()).toEqual({ kind: "idle" });
    drv.probe();
    expect(drv.next()).toEqual({ kind: "post", id: 0, len: 64 });
  });
});

describe("driver and device together", () => {
  it("a Firecracker device feeds the hwrng kthread, every byte accounted", () => {
    const clock = new ManualClock();
    const sink = new RecordingSink();
    const dev = new VirtioRngDevice({ clock, source: new ChaChaDrbg(new Uint8Array(32).fill(1)) });
    const ref = new ChaChaDrbg(new Uint8Array(32).fill(1));
    const drv = new VirtioRngDriver({ sink, clock, queueSize: dev.queueSize });
    drv.probe();
    drv.register();
    for (let step = 0; step < 40 && sink.of("hwgen").length < 5; step++) {
      const a = drv.next();
      if (a.kind === "post") {
        dev.post({ id: a.id, len: a.len });
        for (const u of dev.kick()) drv.onUsed(u.id, u.bytes);
      }
    }
    const fills = sink.of("hwgen");
    expect(fills).toHaveLength(5);
    for (const f of fills) {
      expect(f).toMatchObject({ bits: 512, sleepAfter: true });
      expect(f.buf).toEqual(ref.generate(64));
    }
    expect(drv.drainEvents().filter((e) => e.kind === "driver-error")).toEqual([]);
    expect(dev.accounting()).toMatchObject({ requests: 6, bytes: 384 });
  });
});

describe("virtio-rng driver: reads from /dev/hwrng (rng_dev_read)", () => {
  it("takes what data[] holds without waiting, and posts the buffer again once drained", () => {
    const { drv, sink } = setup();
    expect(drv.readAvailable(64)).toEqual(new Uint8Array(0)); // not registered: no current_rng
    drv.probe();
    expect(drv.next()).toEqual({ kind: "post", id: 0, len: 64 });
    drv.register();
    drv.drainEvents();
    expect(drv.readAvailable(16)).toEqual(new Uint8Array(0)); // nothing delivered yet
    drv.onUsed(0, bytes(64, 7));
    const a = drv.readAvailable(16);
    expect(a).toEqual(bytes(16, 7));
    expect(drv.buffered).toBe(48);
    expect(drv.readAvailable(100)).toEqual(bytes(48, 7));
    expect(drv.buffered).toBe(0);
    // Drained: request_entropy() re-posted under the next head; the kthread got nothing.
    expect(drv.next()).toEqual({ kind: "post", id: 1, len: 64 });
    expect(sink.of("hwgen")).toEqual([]);
    expect(() => drv.readAvailable(-1)).toThrow(/read of -1 bytes/);
  });
});
