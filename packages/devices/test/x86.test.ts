import { ManualClock } from "@vmrng/crng";
import { describe, expect, it } from "vitest";
import {
  AMD_STUCK_VALUE,
  ccRandomInit,
  RDRAND_DEFECTIVE,
  RDRAND_DISABLED_MESSAGE,
  type RngInstructionMode,
  rdrandLong,
  rdseedLong,
  X86ArchRandom,
  X86Cpu,
  X86Fault,
  x86InitRdrand,
} from "../src/index.js";
import { RecordingSink, testBytes } from "./helpers.js";

const cpu = (rdrand: RngInstructionMode, rdseed?: RngInstructionMode) =>
  new X86Cpu({ rdrand, rdseed, randomBytes: testBytes("cpu"), clock: new ManualClock() });

describe("rdrand_long and the instruction modes", () => {
  it("ok: one execution, CF=1, fresh value", () => {
    const c = cpu({ kind: "ok" });
    const a = rdrandLong(c);
    const b = rdrandLong(c);
    expect(a).not.toBeNull();
    expect(a).not.toBe(b);
    expect(c.rdrand.executions).toBe(2);
    expect(c.rdrand.accounting()).toMatchObject({ requests: 2, bytes: 16, errors: 0 });
  });

  it("fail: RDRAND_RETRY_LOOPS = 10 executions then give up", () => {
    const c = cpu({ kind: "fail" });
    expect(rdrandLong(c)).toBeNull();
    expect(c.rdrand.executions).toBe(10);
    expect(c.rdrand.accounting()).toMatchObject({ channel: "rdrand", requests: 0, errors: 10 });
    // RDSEED does not retry.
    expect(rdseedLong(c)).toBeNull();
    expect(c.rdseed.executions).toBe(1);
  });

  it("stuck: CF=1 with all ones, so rdrand_long happily returns it", () => {
    const c = cpu({ kind: "stuck" });
    expect(rdrandLong(c)).toBe(0xffff_ffff_ffff_ffffn);
    expect(rdrandLong(c)).toBe(AMD_STUCK_VALUE);
  });

  it("absent: no cap, and executing it is #UD", () => {
    const c = cpu({ kind: "absent" });
    expect(c.hasRdrand).toBe(false);
    expect(c.hasRdseed).toBe(false);
    try {
      c.rdrand.exec();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(X86Fault);
      expect((e as X86Fault).code).toBe("UD");
    }
  });

  it("flaky: replayable from its seed, and retries absorb failures", () => {
    const run = () => {
      const c = cpu({ kind: "flaky", failProbability: 0.5, seed: 42 });
      const got = Array.from({ length: 50 }, () => rdrandLong(c) !== null);
      return { got, execs: c.rdrand.executions };
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    expect(a.execs).toBeGreaterThan(50); // some executions failed and were retried
    expect(a.got.filter(Boolean).length).toBeGreaterThanOrEqual(48); // 0.5^10 per long
    const other = cpu({ kind: "flaky", failProbability: 0.5, seed: 43 });
    for (let i = 0; i < 50; i++) rdrandLong(other);
    expect(other.rdrand.executions).not.toBe(a.execs);
    // p = 1 is a dead unit.
    expect(rdrandLong(cpu({ kind: "flaky", failProbability: 1, seed: 1 }))).toBeNull();
  });
});

describe("X86ArchRandom", () => {
  it("returns at most one long per call and honours the caps", () => {
    const c = cpu({ kind: "ok" });
    const arch = new X86ArchRandom(c);
    expect(arch.getRandomLongs(4)).toHaveLength(1);
    expect(arch.getRandomSeedLongs(4)).toHaveLength(1);
    expect(arch.getRandomLongs(0)).toEqual([]);
    c.clearCap("rdrand");
    expect(arch.getRandomLongs(4)).toEqual([]);
    expect(new X86ArchRandom(cpu({ kind: "absent" })).getRandomSeedLongs(1)).toEqual([]);
  });

  it("RDTSC follows the virtual clock and never repeats", () => {
    const clock = new ManualClock();
    const c = new X86Cpu({
      rdrand: { kind: "ok" },
      randomBytes: testBytes("t"),
      clock,
      tscPerMs: 1000,
    });
    const arch = new X86ArchRandom(c);
    const t0 = arch.getEntropy();
    const t1 = arch.getEntropy();
    expect(t1).toBe(t0 + 1n);
    clock.advance(5);
    expect(arch.getEntropy()).toBe(5000n);
  });
});

describe("x86_init_rdrand self-test", () => {
  it("passes a healthy unit: 8 samples, 7 changes, caps kept, silent", () => {
    const c = cpu({ kind: "ok" });
    const r = x86InitRdrand(c);
    expect(r).toMatchObject({ ran: true, failure: false, changed: 7, log: [] });
    expect(r.samples).toHaveLength(8);
    expect(r.caps).toEqual({ rdrand: true, rdseed: true });
  });

  it("does not run without the RDRAND cap", () => {
    const r = x86InitRdrand(cpu({ kind: "absent" }));
    expect(r).toMatchObject({ ran: false, failure: false, log: [] });
  });

  it("fail: first rdrand_long fails -> disable RDRAND and RDSEED", () => {
    const c = cpu({ kind: "fail" });
    const r = x86InitRdrand(c);
    expect(r.failure).toBe(true);
    expect(r.samples).toEqual([]);
    expect(c.rdrand.executions).toBe(10);
    expect(r.log).toEqual([
      { level: "emerg", text: "RDRAND is not reliable on this platform; disabling." },
    ]);
    expect(r.caps).toEqual({ rdrand: false, rdseed: false });
  });

  it("stuck all-ones: every sample succeeds, nothing changes -> disabled", () => {
    const c = cpu({ kind: "stuck" });
    const r = x86InitRdrand(c);
    expect(r.samples).toEqual(new Array(8).fill(AMD_STUCK_VALUE));
    expect(r.changed).toBe(0);
    expect(r.failure).toBe(true);
    expect(r.log[0]!.text).toBe(RDRAND_DISABLED_MESSAGE);
    expect(c.hasRdrand).toBe(false);
    expect(c.hasRdseed).toBe(false);
  });

  it("a value that changes only 4 times out of 7 is rejected (MIN_CHANGE = 5)", () => {
    const seq = [1n, 1n, 2n, 2n, 3n, 3n, 4n, 5n];
    const c = cpu({ kind: "ok" });
    let i = 0;
    (c.rdrand as unknown as { exec: () => { cf: boolean; value: bigint } }).exec = () => ({
      cf: true,
      value: seq[i++]!,
    });
    const r = x86InitRdrand(c);
    expect(r.changed).toBe(4);
    expect(r.failure).toBe(true);
  });

  it("flaky with a fixed seed passes (retries hide single failures)", () => {
    const r = x86InitRdrand(cpu({ kind: "flaky", failProbability: 0.3, seed: 7 }));
    expect(r.failure).toBe(false);
    expect(r.changed).toBe(7);
  });
});

describe("cc_random_init", () => {
  it("does nothing outside a confidential guest", () => {
    const sink = new RecordingSink();
    expect(ccRandomInit(new X86ArchRandom(cpu({ kind: "fail" })), sink, { coco: false })).toEqual({
      kind: "skipped",
    });
    expect(sink.calls).toEqual([]);
  });

  it("ok: 32 bytes in 4 one-long calls, mixed with add_device_randomness, nothing credited", () => {
    const sink = new RecordingSink();
    const r = ccRandomInit(new X86ArchRandom(cpu({ kind: "ok" })), sink, { coco: true });
    expect(r).toEqual({ kind: "seeded", bytes: 32, calls: 4 });
    expect(sink.calls).toHaveLength(1);
    expect(sink.calls[0]!.fn).toBe("device");
    expect((sink.calls[0] as { buf: Uint8Array }).buf).toHaveLength(32);
  });

  for (const mode of [{ kind: "fail" }, { kind: "absent" }] as const) {
    it(`${mode.kind}: panic("RDRAND is defective.")`, () => {
      const sink = new RecordingSink();
      const r = ccRandomInit(new X86ArchRandom(cpu(mode)), sink, { coco: true });
      expect(r).toEqual({
        kind: "panic",
        message: RDRAND_DEFECTIVE,
        line: "Kernel panic - not syncing: RDRAND is defective.",
        longsObtained: 0,
      });
      expect(sink.calls).toEqual([]);
    });
  }

  it("stuck passes cc_random_init (CF=1); only the later self-test catches it", () => {
    const c = cpu({ kind: "stuck" });
    const sink = new RecordingSink();
    const r = ccRandomInit(new X86ArchRandom(c), sink, { coco: true });
    expect(r.kind).toBe("seeded");
    expect([...(sink.calls[0] as { buf: Uint8Array }).buf]).toEqual(new Array(32).fill(0xff));
    // identify_cpu() runs afterwards and disables it.
    expect(x86InitRdrand(c).failure).toBe(true);
    // Had the self-test run first, the same guest would have panicked.
    expect(ccRandomInit(new X86ArchRandom(c), new RecordingSink(), { coco: true }).kind).toBe(
      "panic",
    );
  });

  it("a unit that dies part-way panics with the longs it got", () => {
    const c = cpu({ kind: "ok" });
    let n = 0;
    const real = c.rdrand.exec.bind(c.rdrand);
    (c.rdrand as unknown as { exec: () => { cf: boolean; value: bigint } }).exec = () =>
      n++ < 2 ? real() : { cf: false, value: 0n };
    const r = ccRandomInit(new X86ArchRandom(c), new RecordingSink(), { coco: true });
    expect(r).toMatchObject({ kind: "panic", longsObtained: 2 });
  });
});
