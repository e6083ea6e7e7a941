import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { pump, ShortSourceError } from "../src/dump/pump.js";

/** A byte source whose k-th read returns bytes k, k, k … and records concurrency. */
function source(opts: { short?: (len: number, k: number) => number; delayMs?: number } = {}) {
  let k = 0;
  let inflight = 0;
  const stats = { maxInflight: 0, calls: [] as number[] };
  const read = async (len: number): Promise<Uint8Array> => {
    const id = ++k;
    stats.calls.push(len);
    inflight++;
    stats.maxInflight = Math.max(stats.maxInflight, inflight);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 1));
    inflight--;
    const n = opts.short ? opts.short(len, id) : len;
    return new Uint8Array(n).fill(id & 0xff);
  };
  return { read, stats };
}

/** A consumer that takes `perTick` bytes' worth of writes per timer tick (slow pipe). */
function sink(highWaterMark: number, slowMs = 0) {
  const chunks: Buffer[] = [];
  const out = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      if (slowMs) setTimeout(cb, slowMs);
      else cb();
    },
  });
  return { out, bytes: () => Buffer.concat(chunks) };
}

describe("dump pump", () => {
  it("writes exactly `total` bytes, in the order the reads were issued", async () => {
    const src = source();
    const dst = sink(1 << 20);
    const r = await pump(10_000, src.read, dst.out, { chunk: 4096, depth: 3 });
    expect(r).toEqual({ written: 10_000, closed: false });
    const b = dst.bytes();
    expect(b.length).toBe(10_000);
    expect(src.stats.calls).toEqual([4096, 4096, 1808]);
    expect(b[0]).toBe(1);
    expect(b[4095]).toBe(1);
    expect(b[4096]).toBe(2);
    expect(b[8192]).toBe(3);
    expect(b[9999]).toBe(3);
  });

  it("asks again for what short reads left out", async () => {
    const src = source({ short: (len) => Math.min(len, 1000) });
    const dst = sink(1 << 20);
    const r = await pump(5000, src.read, dst.out, { chunk: 4096, depth: 2 });
    expect(r.written).toBe(5000);
    expect(dst.bytes().length).toBe(5000);
    expect(src.stats.calls.reduce((a, b) => a + b, 0)).toBeGreaterThan(5000);
  });

  it("never has more than `depth` reads in flight, and stops reading while the sink is full", async () => {
    const src = source({ delayMs: 0 });
    const dst = sink(1024, 5); // a slow consumer that fills after one chunk
    let maxAhead = 0;
    const r = await pump(64 * 1024, src.read, dst.out, {
      chunk: 4096,
      depth: 4,
      onProgress: () => {
        // Bytes requested but not yet consumed by the sink stay bounded by depth × chunk.
        const requested = src.stats.calls.reduce((a, b) => a + b, 0);
        maxAhead = Math.max(maxAhead, requested - dst.bytes().length);
      },
    });
    expect(r.written).toBe(64 * 1024);
    expect(src.stats.maxInflight).toBeLessThanOrEqual(4);
    expect(maxAhead).toBeLessThanOrEqual(5 * 4096);
  });

  it("ends quietly when the reader goes away (EPIPE)", async () => {
    const src = source();
    let seen = 0;
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        if (seen > 8192) {
          const err = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
          cb(err);
        } else cb();
      },
    });
    const r = await pump(1 << 20, src.read, out, { chunk: 4096, depth: 2 });
    expect(r.closed).toBe(true);
    expect(r.written).toBeLessThan(1 << 20);
    // The stream keeps a listener, so a late EPIPE cannot crash the process.
    expect(out.listenerCount("error")).toBeGreaterThan(0);
  });

  it("reports a source that ends early", async () => {
    const src = source({ short: (len, k) => (k > 2 ? 0 : len) });
    const dst = sink(1 << 20);
    await expect(pump(20_000, src.read, dst.out, { chunk: 4096, depth: 1 })).rejects.toEqual(
      new ShortSourceError(8192, 20_000),
    );
  });

  it("propagates other write errors", async () => {
    const src = source();
    const out = new Writable({
      write(_c, _e, cb) {
        cb(Object.assign(new Error("disk full"), { code: "ENOSPC" }));
      },
    });
    await expect(pump(10_000, src.read, out, { chunk: 4096, depth: 2 })).rejects.toThrow(
      "disk full",
    );
  });
});
