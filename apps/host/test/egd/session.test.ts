import { ManualClock } from "@vmrng/crng";
import { RateLimiter, type RateLimiterConfig } from "@vmrng/devices";
import { describe, expect, it } from "vitest";
import { EgdAccounting } from "../../src/egd/accounting.js";
import { EgdClientGenerator } from "../../src/egd/client-generator.js";
import { EgdEntropyPool } from "../../src/egd/pool.js";
import { EgdSession, type EgdStep } from "../../src/egd/session.js";
import { fixedSeeds, hex } from "./helpers.js";

const u8 = (...b: number[]) => new Uint8Array(b);

function setup(limit: RateLimiterConfig = {}, seedTag = 1) {
  const clock = new ManualClock(0);
  const pool = new EgdEntropyPool({ seedSource: fixedSeeds(seedTag).source, clock });
  const accounting = new EgdAccounting();
  const account = accounting.connect("test #1", 0);
  const twin = new EgdClientGenerator(
    new EgdEntropyPool({ seedSource: fixedSeeds(seedTag).source, clock }),
  );
  const session = new EgdSession({
    pool,
    generator: new EgdClientGenerator(pool),
    limiter: new RateLimiter(limit, clock),
    account,
    pid: 4242,
    clock,
  });
  /** Steps until the session is idle or waits; returns every step. */
  const run = (): EgdStep[] => {
    const out: EgdStep[] = [];
    for (;;) {
      const s = session.step();
      out.push(s);
      if (s.kind !== "reply" && s.kind !== "handled") return out;
    }
  };
  return { clock, pool, accounting, account, session, run, twin };
}

const replies = (steps: EgdStep[]) =>
  steps.filter((s) => s.kind === "reply").map((s) => (s as { bytes: Uint8Array }).bytes);

describe("EgdSession", () => {
  it("answers each command byte-exactly: 0x02 raw bytes, 0x01 count first, 0x00 U32, 0x04 pid", () => {
    const t = setup();
    t.session.receive(u8(0x02, 0x10, 0x01, 0x03, 0x00, 0x04, 0x02, 0x00));
    const steps = t.run();
    expect(steps.at(-1)).toEqual({ kind: "idle" });
    const [blocking, nonblocking, level, pid, empty] = replies(steps);
    // The same bytes the client's generator gives, in request order, nothing in between.
    const expected = t.twin.generate(16);
    expect(hex(blocking!)).toBe(hex(expected));
    expect(nonblocking![0]).toBe(3);
    expect(hex(nonblocking!.subarray(1))).toBe(hex(t.twin.generate(3)));
    expect([...level!]).toEqual([0xff, 0xff, 0xff, 0xff]); // no bytes bucket: all of it
    expect([...pid!]).toEqual([4, 0x34, 0x32, 0x34, 0x32]);
    expect(empty).toHaveLength(0);
    expect(t.account.requests).toBe(5n);
    expect(t.account.bytes).toBe(19n);
    expect(t.accounting.bytes).toBe(19n);
  });

  it("mixes 0x03 input into the pool without replying or crediting", () => {
    const t = setup();
    const fp = t.pool.fingerprint();
    t.session.receive(u8(0x03, 0x04, 0x00, 0x02, 0xde, 0xad, 0x00));
    const steps = t.run();
    expect(steps.map((s) => s.kind)).toEqual(["handled", "reply", "idle"]);
    expect(t.pool.fingerprint()).not.toBe(fp);
    expect(t.pool.generation).toBe(1);
    expect(t.account.mixedBytes).toBe(2n);
    expect(t.account.bytes).toBe(0n);
  });

  it("waits on the rate limiter for 0x02, keeping later requests behind it", () => {
    // bytes: 64 tokens, refilled over 1000 ms (Firecracker TokenBucket semantics).
    const t = setup({ bandwidth: { size: 64, refillTimeMs: 1000 } });
    t.session.receive(u8(0x02, 0x40, 0x02, 0x40, 0x04));
    let steps = t.run();
    expect(steps.map((s) => s.kind)).toEqual(["reply", "wait"]);
    const wait = steps.at(-1) as { kind: "wait"; ms: number };
    expect(wait.ms).toBe(100); // REFILL_TIMER_INTERVAL_MS after a failed consume
    expect(t.account.throttled).toBe(1n);
    // Still blocked: the same request is held, not counted again, nothing overtakes it.
    t.clock.advance(100);
    steps = t.run();
    expect(steps.map((s) => s.kind)).toEqual(["wait"]);
    expect(t.account.requests).toBe(2n);
    expect(t.account.throttled).toBe(1n);
    t.clock.advance(1000);
    steps = t.run();
    expect(steps.map((s) => s.kind)).toEqual(["reply", "reply", "idle"]);
    expect(replies(steps)[0]).toHaveLength(64);
    expect([...replies(steps)[1]!]).toEqual([4, 0x34, 0x32, 0x34, 0x32]);
    expect(t.account.bytes).toBe(128n);
  });

  it("answers 0x01 at once, with count 0 when the bucket cannot cover it, and reports the budget in 0x00", () => {
    const t = setup({ bandwidth: { size: 100, refillTimeMs: 1000 } });
    t.session.receive(u8(0x00, 0x01, 0x50, 0x01, 0x50));
    const [level, first, second] = replies(t.run());
    expect([...level!]).toEqual([0, 0, 0x03, 0x20]); // 100 tokens = 800 bits
    expect(first![0]).toBe(0x50);
    expect(first).toHaveLength(1 + 0x50);
    expect([...second!]).toEqual([0]);
    expect(t.account.bytes).toBe(80n);
    // The failed consume armed the limiter's 100 ms timer: every request waits it out, then
    // the level counts the 20 tokens left plus 10 refilled in those 100 ms.
    t.session.receive(u8(0x00));
    expect(t.run().map((s) => s.kind)).toEqual(["wait"]);
    t.clock.advance(100);
    expect([...replies(t.run())[0]!]).toEqual([0, 0, 0, 240]);
  });

  it("charges one op per request: an ops bucket throttles 0x03 floods too", () => {
    const t = setup({ ops: { size: 2, refillTimeMs: 1000 } });
    t.session.receive(u8(0x03, 0, 0, 0, 0x03, 0, 0, 0, 0x03, 0, 0, 0));
    const steps = t.run();
    expect(steps.map((s) => s.kind)).toEqual(["handled", "handled", "wait"]);
    expect(t.pool.mixCount).toBe(2);
    t.clock.advance(600);
    expect(t.run().map((s) => s.kind)).toEqual(["handled", "idle"]);
    expect(t.pool.mixCount).toBe(3);
  });

  it("turns an unknown command into an error step after answering what came before it", () => {
    const t = setup();
    t.session.receive(u8(0x02, 0x04, 0x09, 0x02, 0x04));
    const steps = t.run();
    expect(steps[0]).toMatchObject({ kind: "reply" });
    expect(steps[1]).toMatchObject({
      kind: "error",
      error: {
        code: "E_EGD_UNKNOWN_COMMAND",
        message: "unknown EGD command 0x09 at stream offset 2",
      },
    });
    expect(t.account.requests).toBe(1n);
  });
});
