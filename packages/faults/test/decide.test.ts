import { createCipheriv } from "node:crypto";
import { blake2sKeyed } from "@vmrng/crng";
import {
  attackerBytes,
  attackerU64,
  bootSeedOverride,
  clockJumpMs,
  clockRate,
  linkToxicsFor,
  msrFaultAnswer,
  processAction,
  RDRAND_STUCK_VALUE,
  rdrandPlan,
  type ValidFault,
  validateFaultSpec,
  virtioFaultFor,
  vmgenidNotifyPlan,
} from "@vmrng/faults";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const f = (kind: string, params: Record<string, unknown> = {}, target = "vm-1"): ValidFault =>
  validateFaultSpec({ kind, target, params });

const fresh = (n: number, start = 1) =>
  Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

describe("attackerBytes", () => {
  it("is the public ChaCha20 stream anyone can recompute (counter = nonce)", () => {
    const enc = new TextEncoder();
    for (const channel of ["seed", "virtio", "msr", "vmgenid"] as const) {
      const key = blake2sKeyed(enc.encode("vmrng.faults.attacker.v1"), enc.encode(channel), 32);
      for (const counter of [0, 1, 2 ** 32 + 5]) {
        const iv = Buffer.alloc(16);
        iv.writeUInt32LE(counter >>> 0, 8);
        iv.writeUInt32LE(Math.floor(counter / 2 ** 32), 12);
        const expected = new Uint8Array(
          createCipheriv("chacha20", key, iv).update(Buffer.alloc(100)),
        );
        expect(attackerBytes(channel, 100, counter)).toEqual(expected);
      }
    }
  });

  it("differs by channel and counter, and prefixes agree", () => {
    expect(attackerBytes("virtio", 32, 0)).not.toEqual(attackerBytes("seed", 32, 0));
    expect(attackerBytes("virtio", 32, 0)).not.toEqual(attackerBytes("virtio", 32, 1));
    expect(attackerBytes("virtio", 70, 3).subarray(0, 16)).toEqual(attackerBytes("virtio", 16, 3));
    expect(attackerBytes("msr", 0, 0)).toHaveLength(0);
    const b = attackerBytes("msr", 8, 4);
    expect(attackerU64("msr", 4)).toBe(Buffer.from(b).readBigUInt64LE(0));
    expect(() => attackerBytes("msr", -1, 0)).toThrow(RangeError);
  });
});

describe("virtioFaultFor", () => {
  it("is healthy with no faults: the fresh bytes, as asked", () => {
    const plan = virtioFaultFor([f("rdrand.fail")]);
    expect(plan.healthy).toBe(true);
    expect(plan.answer(64, fresh(64))).toEqual({ deliver: true, bytes: fresh(64) });
  });

  it("stall holds every request", () => {
    const plan = virtioFaultFor([f("virtio.zeros"), f("virtio.stall")]);
    expect(plan.stall).toBe(true);
    expect(plan.answer(64, fresh(64), fresh(64, 9))).toEqual({ deliver: false });
  });

  it("short returns the first `bytes` of the fresh bytes, never more than asked", () => {
    const plan = virtioFaultFor([f("virtio.short", { bytes: 5 })]);
    expect(plan.answer(64, fresh(64))).toEqual({ deliver: true, bytes: fresh(5) });
    expect(plan.answer(3, fresh(3))).toEqual({ deliver: true, bytes: fresh(3) });
    expect(virtioFaultFor([f("virtio.short")]).answer(64, fresh(64))).toEqual({
      deliver: true,
      bytes: fresh(16),
    });
    // Two short faults: the tighter cap holds.
    expect(
      virtioFaultFor([f("virtio.short", { bytes: 30 }), f("virtio.short", { bytes: 7 })])
        .shortBytes,
    ).toBe(7);
  });

  it("zeros fills the buffer with zeros, combined with short", () => {
    expect(virtioFaultFor([f("virtio.zeros")]).answer(64, fresh(64))).toEqual({
      deliver: true,
      bytes: new Uint8Array(64),
    });
    expect(
      virtioFaultFor([f("virtio.zeros"), f("virtio.short", { bytes: 8 })]).answer(64, fresh(64)),
    ).toEqual({
      deliver: true,
      bytes: new Uint8Array(8),
    });
  });

  it("repeat returns the previous buffer, or fresh bytes when there is none yet", () => {
    const plan = virtioFaultFor([f("virtio.repeat")]);
    const first = plan.answer(64, fresh(64));
    expect(first).toEqual({ deliver: true, bytes: fresh(64) });
    const prev = (first as { bytes: Uint8Array }).bytes;
    const again = plan.answer(64, fresh(64, 100), prev);
    expect(again).toEqual({ deliver: true, bytes: prev });
    expect((again as { bytes: Uint8Array }).bytes).not.toBe(prev); // a copy
    expect(plan.answer(10, fresh(10, 100), prev)).toEqual({
      deliver: true,
      bytes: prev.subarray(0, 10),
    });
  });

  it("malicious delivers the attacker's virtio stream, one counter per answer", () => {
    const plan = virtioFaultFor([f("virtio.zeros"), f("malicious")]);
    expect(plan.content).toBe("attacker");
    expect(plan.answer(64, fresh(64))).toEqual({
      deliver: true,
      bytes: attackerBytes("virtio", 64, 0),
    });
    expect(plan.answer(32, fresh(32))).toEqual({
      deliver: true,
      bytes: attackerBytes("virtio", 32, 1),
    });
    const later = virtioFaultFor([f("malicious")], 7);
    expect(later.answer(16, fresh(16))).toEqual({
      deliver: true,
      bytes: attackerBytes("virtio", 16, 7),
    });
    // The last content fault wins.
    expect(virtioFaultFor([f("malicious"), f("virtio.zeros")]).content).toBe("zeros");
  });

  it("refuses too few fresh bytes", () => {
    expect(() => virtioFaultFor([]).answer(64, fresh(10))).toThrow(RangeError);
  });

  it("never answers more than asked nor more than the short cap (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4096 }),
        fc.integer({ min: 1, max: 63 }),
        (len, cap) => {
          const a = virtioFaultFor([f("virtio.short", { bytes: cap })]).answer(len, fresh(len));
          expect(a.deliver).toBe(true);
          if (a.deliver) expect(a.bytes).toEqual(fresh(len).subarray(0, Math.min(len, cap)));
        },
      ),
    );
  });
});

describe("msrFaultAnswer", () => {
  it("passes the value through without faults", () => {
    expect(msrFaultAnswer([], 0x400000c0, 0x1234n)).toEqual({ kind: "ok", value: 0x1234n });
  });
  it("zero, #GP, attacker; the last MSR fault wins", () => {
    expect(msrFaultAnswer([f("msr.zero")], 0x400000c0, 0x1234n)).toEqual({ kind: "ok", value: 0n });
    expect(msrFaultAnswer([f("msr.gp")], 0x400000c0, 0x1234n)).toEqual({
      kind: "gp",
      index: 0x400000c0,
    });
    expect(msrFaultAnswer([f("msr.gp"), f("msr.zero")], 1, 5n)).toEqual({ kind: "ok", value: 0n });
    expect(msrFaultAnswer([f("malicious")], 1, 5n, 3)).toEqual({
      kind: "ok",
      value: attackerU64("msr", 3),
    });
    expect(msrFaultAnswer([f("virtio.zeros")], 1, 5n)).toEqual({ kind: "ok", value: 5n });
  });
});

describe("vmgenidNotifyPlan", () => {
  it("a plain notify without faults", () => {
    expect(vmgenidNotifyPlan([])).toEqual({
      drop: false,
      delayMs: 0,
      times: 1,
      unchangedId: false,
    });
  });
  it("lost drops it whatever else is armed", () => {
    expect(vmgenidNotifyPlan([f("vmgenid.delay", { delayMs: 5 }), f("vmgenid.lost")])).toEqual({
      drop: true,
    });
  });
  it("delay, duplicate and unchanged combine", () => {
    expect(
      vmgenidNotifyPlan([
        f("vmgenid.delay", { delayMs: 50 }),
        f("vmgenid.delay", { delayMs: 20 }),
        f("vmgenid.duplicate"),
        f("vmgenid.unchanged"),
      ]),
    ).toEqual({ drop: false, delayMs: 50, times: 2, unchangedId: true });
  });
  it("malicious writes the attacker's 16-byte id", () => {
    expect(vmgenidNotifyPlan([f("malicious")], 2)).toEqual({
      drop: false,
      delayMs: 0,
      times: 1,
      unchangedId: false,
      id: attackerBytes("vmgenid", 16, 2),
    });
  });
});

describe("bootSeedOverride", () => {
  const prev = fresh(32, 40);
  it("null without boot faults", () => {
    expect(bootSeedOverride([f("virtio.zeros")], prev)).toBeNull();
  });
  it("absent, zero, replayed, attacker; the last one armed wins", () => {
    expect(bootSeedOverride([f("seed.absent")])).toEqual({ kind: "absent" });
    expect(bootSeedOverride([f("seed.absent"), f("seed.zero")])).toEqual({ kind: "zero" });
    const r = bootSeedOverride([f("seed.replayed")], prev);
    expect(r).toEqual({ kind: "replayed", seed: prev });
    expect((r as { seed: Uint8Array }).seed).not.toBe(prev);
    expect(bootSeedOverride([f("seed.zero"), f("malicious")], prev, 1)).toEqual({
      kind: "attacker",
      seed: attackerBytes("seed", 32, 1),
    });
  });
  it("replayed with nothing to replay leaves this boot fresh", () => {
    expect(bootSeedOverride([f("seed.replayed")])).toBeNull();
  });
});

describe("cpu plans", () => {
  it("rdrandPlan maps each kind, the last one wins", () => {
    expect(rdrandPlan([])).toEqual({ kind: "ok" });
    expect(rdrandPlan([f("rdrand.absent")])).toEqual({ kind: "absent" });
    expect(rdrandPlan([f("rdrand.absent"), f("rdrand.fail")])).toEqual({ kind: "fail" });
    expect(rdrandPlan([f("rdrand.stuck")])).toEqual({ kind: "stuck", value: 0xffffffffffffffffn });
    expect(RDRAND_STUCK_VALUE).toBe(2n ** 64n - 1n);
    expect(rdrandPlan([f("rdrand.flaky", { failProbability: 0.25 })], 9)).toEqual({
      kind: "flaky",
      failProbability: 0.25,
      seed: 9,
    });
  });
  it("clock rate and jump", () => {
    expect(clockRate([])).toBe(1);
    expect(clockRate([f("clock.skew", { rate: 4 }), f("clock.skew", { offsetMs: 10 })])).toBe(4);
    expect(clockRate([f("clock.skew", { rate: 4 }), f("clock.skew", { rate: 0.5 })])).toBe(0.5);
    expect(clockJumpMs(f("clock.skew", { offsetMs: 1500 }))).toBe(1500);
    expect(clockJumpMs(f("clock.skew", { rate: 2 }))).toBe(0);
    expect(clockJumpMs(f("kill", {}, "hv1"))).toBe(0);
  });
});

describe("linkToxicsFor", () => {
  it("down is the parent's send, up the parent's receive, both is both", () => {
    expect(
      linkToxicsFor(f("latency", { latencyMs: 100, jitterMs: 5, direction: "down" }), "fault-1"),
    ).toEqual([
      {
        side: "parent",
        direction: "send",
        name: "fault-1:down",
        toxic: { type: "latency", latencyMs: 100, jitterMs: 5 },
      },
    ]);
    expect(linkToxicsFor(f("drop", { probability: 0.3, direction: "up" }), "f2")).toEqual([
      {
        side: "parent",
        direction: "receive",
        name: "f2:up",
        toxic: { type: "drop", probability: 0.3 },
      },
    ]);
    expect(
      linkToxicsFor(f("corrupt", { probability: 1 }), "f3").map((p) => [
        p.side,
        p.direction,
        p.name,
      ]),
    ).toEqual([
      ["parent", "send", "f3:down"],
      ["parent", "receive", "f3:up"],
    ]);
  });
  it("every toxic kind maps to the wire's shape with its defaults", () => {
    const one = (kind: string, params: Record<string, unknown>) =>
      linkToxicsFor(f(kind, { ...params, direction: "down" }), "n")[0]?.toxic;
    expect(one("bandwidth", { bytesPerSec: 1000 })).toEqual({
      type: "bandwidth",
      bytesPerSec: 1000,
    });
    expect(one("slow_close", { delayMs: 7 })).toEqual({ type: "slow_close", delayMs: 7 });
    expect(one("timeout", {})).toEqual({ type: "timeout", timeoutMs: 0 });
    expect(one("reset_peer", { timeoutMs: 30 })).toEqual({ type: "reset_peer", timeoutMs: 30 });
    expect(one("limit_data", { bytes: 99 })).toEqual({ type: "limit_data", bytes: 99 });
    expect(one("duplicate", { probability: 0.5 })).toEqual({ type: "duplicate", probability: 0.5 });
    expect(one("slicer", {})).toEqual({
      type: "slicer",
      averageSize: 64,
      sizeVariation: 32,
      delayUs: 100,
    });
  });
  it("the slicer's up half goes on the child's sends", () => {
    expect(linkToxicsFor(f("slicer", { direction: "up" }), "s")).toEqual([
      {
        side: "child",
        direction: "send",
        name: "s:up",
        toxic: { type: "slicer", averageSize: 64, sizeVariation: 32, delayUs: 100 },
      },
    ]);
  });
  it("non-toxic kinds give nothing", () => {
    expect(linkToxicsFor(f("partition", { with: "host" }, "hv1"), "p")).toEqual([]);
    expect(linkToxicsFor(f("virtio.zeros"), "v")).toEqual([]);
  });
});

describe("processAction", () => {
  it("kill, pause/resume, restart", () => {
    expect(processAction(f("kill", {}, "hv1"), "start")).toBe("SIGKILL");
    expect(processAction(f("kill", {}, "hv1"), "stop")).toBeNull();
    expect(processAction(f("pause"), "start")).toBe("SIGSTOP");
    expect(processAction(f("pause"), "stop")).toBe("SIGCONT");
    expect(processAction(f("restart"), "start")).toBe("restart");
    expect(processAction(f("restart"), "stop")).toBeNull();
    expect(processAction(f("virtio.zeros"), "start")).toBeNull();
  });
});
