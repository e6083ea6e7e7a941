import { ManualClock } from "@vmrng/crng";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AsyncCommonHvCpu,
  AsyncRngMsrDriver,
  ChaChaDrbg,
  COMMONHV_SIGNATURE,
  type CommonHvCpu,
  DEFAULT_MSR_COMMONHV_RNG,
  probeCommonHv,
  probeCommonHvAsync,
  RngMsrDriver,
  RngMsrHost,
  readU64,
  writeU32,
} from "../src/index.js";
import { RecordingSink, testBytes } from "./helpers.js";

const seedA = new Uint8Array(32).fill(0xaa);
const seedB = new Uint8Array(32).fill(0xbb);
const host = (opts: { acceptWrites?: boolean; poolLongs?: number; msrIndex?: number } = {}) =>
  new RngMsrHost({ clock: new ManualClock(), randomBytes: testBytes("host"), ...opts });
const MSR = DEFAULT_MSR_COMMONHV_RNG;

describe("CommonHV CPUID leaves", () => {
  it("4F000000H: max leaf and the signature in EBX, ECX, EDX", () => {
    const g = host().attach("a", seedA);
    const r = g.cpuid(0x4f000000);
    expect(r).toEqual({ eax: 0x4f000003, ebx: 0x6d6d6f43, ecx: 0x56486e6f, edx: 0x66746e49 });
    const sig = new Uint8Array(12);
    writeU32(sig, 0, r.ebx);
    writeU32(sig, 4, r.ecx);
    writeU32(sig, 8, r.edx);
    expect(Buffer.from(sig).toString("latin1")).toBe(COMMONHV_SIGNATURE);
  });

  it("4F000002H feature bits, 4F000003H MSR index, everything else zero", () => {
    const g = host().attach("a", seedA);
    expect(g.cpuid(0x4f000002)).toEqual({ eax: 0b11, ebx: 0, ecx: 0, edx: 0 });
    expect(g.cpuid(0x4f000003)).toEqual({ eax: MSR, ebx: 0, ecx: 0, edx: 0 });
    const zero = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
    expect(g.cpuid(0x4f000001)).toEqual(zero);
    expect(g.cpuid(0x4f000004)).toEqual(zero);
    expect(g.cpuid(0x4fffffff)).toEqual(zero);
    expect(g.cpuid(0x40000000)).toEqual(zero);
    expect(host({ acceptWrites: false }).attach("b", seedB).cpuid(0x4f000002).eax).toBe(0b01);
  });
});

describe("RNG MSR device", () => {
  it("rdmsr returns the guest's DRBG stream, 8 little-endian bytes per read", () => {
    const g = host().attach("a", seedA);
    const ref = new ChaChaDrbg(seedA);
    for (let i = 0; i < 5; i++) {
      expect(g.rdmsr(MSR)).toEqual({ kind: "ok", value: readU64(ref.generate(8), 0) });
    }
    expect(g.accounting()).toMatchObject({ channel: "rng-msr", requests: 5, bytes: 40 });
  });

  it("a generator's fingerprint tracks its state and reveals the same value for the same state", () => {
    const h = host();
    const a = h.attach("a", seedA);
    const b = h.attach("b", seedA);
    expect(a.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(a.fingerprint()).toBe(b.fingerprint());
    const before = b.fingerprint();
    a.wrmsr(MSR, 0x1234n);
    expect(a.fingerprint()).not.toBe(before);
    expect(b.fingerprint()).toBe(before);
    b.rdmsr(MSR);
    expect(b.fingerprint()).not.toBe(before);
  });

  it("any other MSR index faults; wrmsr faults when writes are not offered", () => {
    const g = host().attach("a", seedA);
    expect(g.rdmsr(MSR + 1)).toEqual({ kind: "gp", index: MSR + 1 });
    expect(g.wrmsr(0x10, 1n)).toEqual({ kind: "gp", index: 0x10 });
    expect(g.wrmsr(MSR, 1n << 64n)).toEqual({ kind: "gp", index: MSR });
    const ro = host({ acceptWrites: false }).attach("r", seedB);
    expect(ro.wrmsr(MSR, 5n)).toEqual({ kind: "gp", index: MSR });
    expect(g.accounting().rejected).toBe(3);
  });

  it("wrmsr changes the writer's own stream", () => {
    const g = host().attach("a", seedA);
    const ref = new ChaChaDrbg(seedA);
    expect(g.wrmsr(MSR, 0x1234n)).toEqual({ kind: "ok", value: 0n });
    const v = g.rdmsr(MSR);
    expect(v.kind === "ok" && v.value).not.toBe(readU64(ref.generate(8), 0));
    expect(g.accounting().writes).toBe(1);
  });

  it("a Xen-style pool runs dry into zeros", () => {
    const g = host({ poolLongs: 2 }).attach("a", seedA);
    const vals = Array.from({ length: 4 }, () => g.rdmsr(MSR));
    expect(vals.map((v) => v.kind === "ok" && v.value !== 0n)).toEqual([true, true, false, false]);
  });

  it("attaching the same guest twice is refused; fresh guests get fresh seeds", () => {
    const h = host();
    const a = h.attach("a");
    expect(() => h.attach("a")).toThrow();
    const b = h.attach("b");
    expect(a.rdmsr(MSR)).not.toEqual(b.rdmsr(MSR));
  });

  it("isolation: no sequence of guest A's accesses changes a byte of guest B's stream", () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const op = fc.oneof(
      fc.record({ kind: fc.constant("wr" as const), value: u64 }),
      fc.record({ kind: fc.constant("rd" as const) }),
      fc.record({
        kind: fc.constant("wr-other" as const),
        value: u64,
        index: fc.integer({ min: 0, max: 0xffffffff }),
      }),
      fc.record({ kind: fc.constant("b-reads" as const), n: fc.integer({ min: 1, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const h = host();
        const a = h.attach("a", seedA);
        const b = h.attach("b", seedB);
        const ref = new ChaChaDrbg(seedB);
        for (const o of ops) {
          if (o.kind === "wr") a.wrmsr(MSR, o.value);
          else if (o.kind === "rd") a.rdmsr(MSR);
          else if (o.kind === "wr-other") a.wrmsr(o.index, o.value);
          else {
            for (let i = 0; i < o.n; i++) {
              const got = b.rdmsr(MSR);
              if (got.kind !== "ok" || got.value !== readU64(ref.generate(8), 0)) return false;
            }
          }
        }
        const last = b.rdmsr(MSR);
        return last.kind === "ok" && last.value === readU64(ref.generate(8), 0);
      }),
      { numRuns: 200 },
    );
  });
});

describe("RNG MSR driver", () => {
  it("probes and, trusted, credits 64 bits per distinct nonzero long", () => {
    const g = host().attach("a", seedA);
    const ref = new ChaChaDrbg(seedA);
    const sink = new RecordingSink();
    const r = new RngMsrDriver({ cpu: g, sink, trustMsr: true }).seed();
    expect(r.info).toEqual({
      maxLeaf: 0x4f000003,
      rngPresent: true,
      acceptsWrites: true,
      msrIndex: MSR,
    });
    expect(r).toMatchObject({
      reads: 4,
      zeros: 0,
      repeats: 0,
      faults: 0,
      mixedBytes: 32,
      creditedBits: 256,
    });
    // One generate(8) per rdmsr (key erasure between reads), so not ref.generate(32).
    const expected = new Uint8Array(32);
    for (let i = 0; i < 4; i++) expected.set(ref.generate(8), i * 8);
    expect(sink.calls).toEqual([{ fn: "hwgen", buf: expected, bits: 256, sleepAfter: false }]);
  });

  it("untrusted: mixed with add_device_randomness, nothing credited", () => {
    const sink = new RecordingSink();
    const r = new RngMsrDriver({ cpu: host().attach("a", seedA), sink, trustMsr: false }).seed();
    expect(r.creditedBits).toBe(0);
    expect(sink.calls.map((c) => c.fn)).toEqual(["device"]);
  });

  it("treats 0 as no data", () => {
    const sink = new RecordingSink();
    const r = new RngMsrDriver({
      cpu: host({ poolLongs: 1 }).attach("a", seedA),
      sink,
      trustMsr: true,
    }).seed();
    expect(r).toMatchObject({ reads: 4, zeros: 3, mixedBytes: 8, creditedBits: 64 });
    const dry = new RecordingSink();
    const r2 = new RngMsrDriver({
      cpu: host({ poolLongs: 0 }).attach("b", seedB),
      sink: dry,
      trustMsr: true,
    }).seed();
    expect(r2).toMatchObject({ zeros: 4, creditedBits: 0 });
    expect(dry.calls).toEqual([]);
  });

  it("does not credit a hypervisor that repeats itself, nor one that faults", () => {
    const base = host().attach("a", seedA);
    const constant: CommonHvCpu = {
      cpuid: (l) => base.cpuid(l),
      rdmsr: () => ({ kind: "ok", value: 42n }),
      wrmsr: () => ({ kind: "gp", index: 0 }),
    };
    const sink = new RecordingSink();
    expect(new RngMsrDriver({ cpu: constant, sink, trustMsr: true }).seed()).toMatchObject({
      repeats: 3,
      creditedBits: 64,
      mixedBytes: 32,
    });
    const faulting: CommonHvCpu = { ...constant, rdmsr: (i) => ({ kind: "gp", index: i }) };
    expect(
      new RngMsrDriver({ cpu: faulting, sink: new RecordingSink(), trustMsr: true }).seed(),
    ).toMatchObject({ reads: 1, faults: 1, creditedBits: 0 });
  });

  it("finds nothing without the signature, or with an inconsistent max leaf", () => {
    const none: CommonHvCpu = {
      cpuid: () => ({ eax: 0, ebx: 0, ecx: 0, edx: 0 }),
      rdmsr: (i) => ({ kind: "gp", index: i }),
      wrmsr: (i) => ({ kind: "gp", index: i }),
    };
    const sink = new RecordingSink();
    expect(new RngMsrDriver({ cpu: none, sink, trustMsr: true }).seed().info).toBeNull();
    expect(sink.calls).toEqual([]);
    const g = host().attach("a", seedA);
    const shortLeaf = {
      cpuid: (l: number) => (l === 0x4f000000 ? { ...g.cpuid(l), eax: 0x4f000002 } : g.cpuid(l)),
    };
    expect(probeCommonHv(shortLeaf)).toEqual({
      maxLeaf: 0x4f000002,
      rngPresent: false,
      acceptsWrites: false,
      msrIndex: 0,
    });
  });

  it("offers guest bytes only when bit 1 says the host accepts them", () => {
    const g = host().attach("a", seedA);
    expect(new RngMsrDriver({ cpu: g, sink: new RecordingSink(), trustMsr: false }).offer(7n)).toBe(
      true,
    );
    expect(g.accounting().writes).toBe(1);
    const ro = host({ acceptWrites: false }).attach("b", seedB);
    expect(
      new RngMsrDriver({ cpu: ro, sink: new RecordingSink(), trustMsr: false }).offer(7n),
    ).toBe(false);
    expect(ro.accounting().rejected).toBe(0); // never even tried
  });
});

describe("CommonHV RNG driver over an asynchronous vCPU", () => {
  const asyncCpu = (cpu: CommonHvCpu, log: string[] = []): AsyncCommonHvCpu => ({
    cpuid: async (leaf) => {
      log.push(`cpuid ${leaf.toString(16)}`);
      return cpu.cpuid(leaf);
    },
    rdmsr: async (index) => {
      log.push(`rdmsr ${index.toString(16)}`);
      return cpu.rdmsr(index);
    },
    wrmsr: async (index, value) => {
      log.push(`wrmsr ${index.toString(16)}`);
      return cpu.wrmsr(index, value);
    },
  });

  it("issues the same instructions and credits the same bits as the synchronous driver", async () => {
    const syncSink = new RecordingSink();
    const asyncSink = new RecordingSink();
    const syncRes = new RngMsrDriver({
      cpu: host().attach("a", seedA),
      sink: syncSink,
      trustMsr: true,
    }).seed();
    const log: string[] = [];
    const drv = new AsyncRngMsrDriver({
      cpu: asyncCpu(host().attach("a", seedA), log),
      sink: asyncSink,
      trustMsr: true,
    });
    const asyncRes = await drv.seed();
    expect(asyncRes).toEqual(syncRes);
    expect(asyncRes.creditedBits).toBe(256);
    expect(asyncSink.calls).toEqual(syncSink.calls);
    expect(log).toEqual([
      "cpuid 4f000000",
      "cpuid 4f000002",
      "cpuid 4f000003",
      ...Array.from({ length: 4 }, () => `rdmsr ${MSR.toString(16)}`),
    ]);
    expect(await drv.offer(5n)).toBe(true);
    expect(log.at(-1)).toBe(`wrmsr ${MSR.toString(16)}`);
  });

  it("probeCommonHvAsync agrees with probeCommonHv, including no signature", async () => {
    const g = host({ acceptWrites: false }).attach("b", seedB);
    expect(await probeCommonHvAsync(asyncCpu(g))).toEqual(probeCommonHv(g));
    const none = asyncCpu({
      cpuid: () => ({ eax: 0, ebx: 0, ecx: 0, edx: 0 }),
      rdmsr: (index) => ({ kind: "gp", index }),
      wrmsr: (index) => ({ kind: "gp", index }),
    });
    expect(await probeCommonHvAsync(none)).toBeNull();
    const sink = new RecordingSink();
    const r = await new AsyncRngMsrDriver({ cpu: none, sink, trustMsr: true }).seed();
    expect(r).toMatchObject({ info: null, reads: 0, creditedBits: 0 });
    expect(sink.calls).toEqual([]);
  });
});
