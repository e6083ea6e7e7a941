import { describe, expect, it } from "vitest";
import type { CrngEvent } from "../src/index.js";
import { boot, credit } from "./helpers.js";

const warnings = (ev: CrngEvent[]) => ev.filter((e) => e.kind === "urandom-warning");

describe("/dev/urandom before READY", () => {
  it("prints the kernel's exact warning, with comm truncated to TASK_COMM_LEN - 1", () => {
    const { crng } = boot({ jitter: { enabled: false } });
    expect(crng.readUrandom(16, { comm: "systemd-udevd" }).length).toBe(16);
    crng.readUrandom(512, { comm: "a-very-long-process-name" });
    const ev = warnings(crng.drainEvents());
    expect(ev.map((e) => e.message)).toEqual([
      "random: systemd-udevd: uninitialized urandom read (16 bytes read)",
      "random: a-very-long-pro: uninitialized urandom read (512 bytes read)",
    ]);
    expect(ev.every((e) => e.printk)).toBe(true);
  });

  it("is ratelimited to 3 per HZ window, at most 10 in total, and reports the misses at init done", () => {
    const { clock, crng } = boot({ jitter: { enabled: false } });
    const read = () => crng.readUrandom(8, { comm: "sshd" });
    for (let i = 0; i < 5; i++) read(); // window 1: 3 printed, 2 missed
    clock.set(1000); // begin + HZ is not yet *before* jiffies: same window
    read(); // missed (3)
    clock.set(1001);
    for (let i = 0; i < 4; i++) read(); // window 2: 3 printed (6 total), missed 4
    clock.set(2002);
    for (let i = 0; i < 4; i++) read(); // window 3: 3 printed (9), missed 5
    clock.set(3003);
    for (let i = 0; i < 4; i++) read(); // window 4: 1 printed (10 = maxwarn), then 3 missed (8)
    clock.set(9000);
    for (let i = 0; i < 5; i++) read(); // maxwarn exhausted: all missed (13)
    const ev = crng.drainEvents();
    expect(warnings(ev).map((e) => e.at)).toEqual([
      0, 0, 0, 1001, 1001, 1001, 2002, 2002, 2002, 3003,
    ]);
    credit(crng, 256);
    const done = crng.drainEvents().filter((e) => e.printk);
    expect(done.map((e) => e.message)).toEqual([
      "random: crng init done",
      "random: 13 urandom warning(s) missed due to ratelimiting",
    ]);
    read();
    expect(warnings(crng.drainEvents())).toEqual([]);
  });

  it("random.ratelimit_disable=1 prints every read, past maxwarn, and counts nothing as missed", () => {
    const { crng } = boot({ jitter: { enabled: false }, ratelimitDisable: true });
    for (let i = 0; i < 15; i++) crng.readUrandom(1, { comm: "x" });
    expect(warnings(crng.drainEvents())).toHaveLength(15);
    credit(crng, 256);
    expect(crng.drainEvents().map((e) => e.kind)).toEqual(["crng-reseed", "crng-init-done"]);
  });

  it("with a usable cycle counter the reader spins in jitter until READY and then reads without a warning", async () => {
    const { clock, crng } = boot();
    expect(() => crng.readUrandom(8)).toThrow(expect.objectContaining({ code: "WOULD_BLOCK" }));
    const p = crng.readUrandomAsync(8, { comm: "early" });
    clock.set(300);
    crng.tick();
    expect((await p).length).toBe(8);
    const ev = crng.drainEvents();
    expect(warnings(ev)).toEqual([]);
    expect(ev.find((e) => e.kind === "crng-init-done")?.at).toBe(256);
  });
});
