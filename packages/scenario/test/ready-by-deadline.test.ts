import { describe, expect, it } from "vitest";
import { readyByDeadline } from "../src/checkers/ready-by-deadline.js";
import { block, HistoryBuilder } from "./history-builder.js";

describe("ready-by-deadline", () => {
  it("passes when every expect-ready guest is READY in time and blocking reads wait for it", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    h.guest(0, "vm-2", { expect: "booted" }); // never READY, not required to be
    h.event(100, "vm-1", "vm.state", { state: "starting" });
    h.rng(200, "vm-1", block(1), { len: 32, flags: 4 }); // GRND_INSECURE: fine before READY
    h.rng(250, "vm-2", block(2), { source: "urandom", len: 32 }, "read");
    h.ready(1500, "vm-1");
    h.rng(1600, "vm-1", block(3), { len: 32, flags: 0 });
    expect(readyByDeadline(h.records, { deadlineMs: 2000 })).toEqual({
      checker: "ready-by-deadline",
      ok: true,
      violations: [],
    });
  });

  it("catches a guest that never reaches READY", () => {
    const h = new HistoryBuilder();
    const node = h.guest(20, "vm-2", { seed: "absent" });
    h.run(40_000, "end");
    const r = readyByDeadline(h.records, {});
    expect(r.ok).toBe(false);
    expect(r.violations).toEqual([
      {
        message:
          "vm-2 (expect ready) never reached READY: started at +0.020s, deadline 30000 ms (+30.020s)",
        seqs: [node],
      },
    ]);
  });

  it("catches a READY that came after the deadline, counted from the first vm.state starting", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    const start = h.event(1000, "vm-1", "vm.state", { state: "starting" });
    const ready = h.ready(7000, "vm-1");
    const r = readyByDeadline(h.records, { deadlineMs: 5000 });
    expect(r.violations).toEqual([
      {
        message:
          "vm-1 (expect ready) reached READY at +7.000s, 6000 ms after its start at +1.000s: deadline 5000 ms (+6.000s)",
        seqs: [start, ready],
      },
    ]);
    expect(readyByDeadline(h.records, { deadlineMs: 6000 }).ok).toBe(true);
  });

  it("catches getrandom(flags=0) bytes returned before READY, with the args from the invoke", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    h.invoke(300, 2, "getrandom", "vm-1", { len: 32, flags: 0 });
    const early = h.ok(400, 2, "getrandom", "vm-1", block(1));
    const ready = h.ready(900, "vm-1");
    const r = readyByDeadline(h.records, {});
    expect(r.violations).toEqual([
      {
        message:
          "vm-1 returned 32 bytes from getrandom(flags=0) at +0.400s before READY; READY only at +0.900s (#" +
          `${ready})`,
        seqs: [early, ready],
      },
    ]);
  });

  it("also flags GRND_NONBLOCK and /dev/random successes before READY, grouped per guest", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1", { expect: "booted" });
    const a = h.rng(10, "vm-1", block(1), { len: 32, flags: 1 }, "getrandom", 1);
    const b = h.rng(20, "vm-1", block(2), { source: "random", len: 32 }, "read", 2);
    const r = readyByDeadline(h.records, {});
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.seqs).toEqual([a, b]);
    expect(r.violations[0]!.message).toBe(
      "vm-1 returned 32 bytes from getrandom(flags=1) at +0.010s before READY; never READY after; 2 such ops",
    );
  });

  it("a kexec'd guest is unready again until its new kernel's READY", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    h.ready(100, "vm-1");
    h.rng(200, "vm-1", block(1));
    h.event(300, "vm-1", "vm.state", { state: "starting" });
    const early = h.rng(310, "vm-1", block(2));
    h.ready(400, "vm-1");
    const r = readyByDeadline(h.records, {});
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.seqs[0]).toBe(early);
  });

  it("a clone (or a restored guest) of a READY parent is READY at once", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    h.ready(100, "vm-1");
    h.event(900, "vm-1-c1", "vm.state", { state: "starting" });
    h.event(905, "vm-1-c1", "vm.restore", { from: "vm-1" });
    h.guest(910, "vm-1-c1", {}, { cloneOf: "vm-1" });
    h.rng(920, "vm-1-c1", block(2));
    expect(readyByDeadline(h.records, { deadlineMs: 500 }).ok).toBe(true);
  });

  it("a READY recorded in the same millisecond right after the op is not a violation", () => {
    const h = new HistoryBuilder();
    h.guest(0, "vm-1");
    h.rng(700, "vm-1", block(1));
    h.ready(700, "vm-1");
    expect(readyByDeadline(h.records, {}).ok).toBe(true);
  });
});
