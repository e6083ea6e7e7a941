import { describe, expect, it } from "vitest";
import { render, runDemo, stamp } from "../src/crng-demo.js";

/** A deterministic stand-in for the host's entropy source. */
function fakeHost(): (n: number) => Uint8Array {
  let c = 0;
  return (n) => Uint8Array.from({ length: n }, () => (c++ * 131 + 7) & 0xff);
}

describe("crng demo", () => {
  it("formats printk timestamps as [%5lu.%06lu]", () => {
    expect(stamp(0)).toBe("[    0.000000]");
    expect(stamp(85_361)).toBe("[   85.361000]");
    expect(stamp(123_456.789)).toBe("[  123.456789]");
  });

  it("boots the three guests to READY at the times their entropy sources allow", async () => {
    const r = await runDemo(fakeHost());
    const [seeded, virtio, starved] = r.guests;
    expect(seeded!.readyAtMs).toBe(0);
    expect(virtio!.readyAtMs).toBe(351);
    expect(starved!.readyAtMs).toBeGreaterThan(80_000);
    expect(starved!.readyAtMs).toBeLessThan(90_000);
    for (const g of r.guests) {
      expect(g.entropyAvail).toBe(256);
      expect(g.lines).toContain(`${stamp(g.readyAtMs!)} random: crng init done`);
    }
    expect(starved!.lines.filter((l) => l.includes("uninitialized urandom read")).length).toBe(8);
    expect(starved!.lines).toContain(
      `${stamp(starved!.readyAtMs!)} random: 3 urandom warning(s) missed due to ratelimiting`,
    );
    expect(r.clone).toEqual({ withoutVmgenid: true, withVmgenid: false });
    expect(render(r)).toContain('== guest "starved"');
  });
});
