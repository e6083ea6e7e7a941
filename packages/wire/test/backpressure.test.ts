import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { type MessageOf, WireError } from "../src/index.js";
import { connectGuest, next, nextLink, RawPeer, sleep, startLab, until } from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/**
 * Live ArrayBuffer bytes after full GCs (V8 exposes gc() to a fresh context once the flag is
 * set). Backing stores are released by a concurrent sweeper after the GC, so it is repeated
 * with pauses until the figure stops falling.
 */
async function liveArrayBuffers(): Promise<number> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    await sleep(20);
    const now = process.memoryUsage().arrayBuffers;
    if (now >= last) return now;
    last = now;
  }
  return last;
}

const CHUNK = 65536;
const TUNING = {
  heartbeatMs: 0, // the paused peer would also stop answering pings; that is tested elsewhere
  highWaterMark: 256 * 1024,
  lowWaterMark: 64 * 1024,
  maxQueuedFrames: 32,
  maxQueuedBytes: 1024 * 1024,
};

const used = (i: number): MessageOf<"virtio.used"> => ({
  t: "virtio.used",
  desc: i % 32768,
  data: new Uint8Array(CHUNK).fill(i & 0xff),
});

describe("backpressure", () => {
  it("bounds the sender's queue and memory when the peer stops reading, then drains", async () => {
    const lab = await startLab(TUNING, cleanup);
    const linkP = nextLink(lab.server);
    const raw = await RawPeer.open(lab);
    cleanup.push(() => raw.close());
    const link = await linkP;
    raw.ws.pause(); // the peer stops reading its socket

    let accepted = 0;
    let refusal: unknown;
    let refusedInARow = 0;
    const frameBound = CHUNK + 64; // one encoded virtio.used
    // Fill the kernel buffers, then the socket buffer, then the queue, until sends stay refused
    // even after the socket had time to push more into the kernel.
    for (let i = 0; i < 20_000 && refusedInARow < 10; i++) {
      try {
        link.send(used(accepted));
        accepted++;
        refusedInARow = 0;
      } catch (e) {
        refusal = e;
        refusedInARow++;
        await sleep(5);
      }
      if (i % 64 === 63) await sleep(1); // let the socket flush into the kernel meanwhile
    }
    expect(refusedInARow).toBe(10);
    expect(refusal).toBeInstanceOf(WireError);
    expect((refusal as WireError).code).toBe("E_BACKPRESSURE");
    expect(link.writable).toBe(false);

    // Keep pushing: every attempt is refused and nothing grows.
    const before = await liveArrayBuffers();
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      try {
        link.send(used(i));
        accepted++;
      } catch (e) {
        expect((e as WireError).code).toBe("E_BACKPRESSURE");
        refused++;
      }
      expect(link.queuedFrames).toBeLessThanOrEqual(TUNING.maxQueuedFrames);
      expect(link.queuedBytes).toBeLessThanOrEqual(TUNING.maxQueuedBytes);
      expect(link.bufferedAmount).toBeLessThan(TUNING.highWaterMark + frameBound);
      if (i % 500 === 499) await sleep(1);
    }
    const growth = (await liveArrayBuffers()) - before;
    expect(refused).toBe(3000);
    // 3000 × 64 KiB = 192 MiB were offered; what stays alive is bounded by the queue.
    expect(growth, `arrayBuffers grew by ${growth} bytes`).toBeLessThan(8 * 1024 * 1024);

    // The peer reads again: the queue drains, `drain` fires, and every accepted frame arrives in order.
    const drained = next(link, "drain", 10_000);
    raw.ws.resume();
    await drained;
    expect(link.writable).toBe(true);
    const usedFrames = () =>
      raw.received.filter((m) => m.t === "virtio.used") as MessageOf<"virtio.used">[];
    await until(() => usedFrames().length >= accepted, 10_000, "all accepted frames");
    const descs = usedFrames().map((m) => m.desc);
    expect(descs).toEqual(Array.from({ length: accepted }, (_, i) => i % 32768));
    expect(raw.undecodable).toEqual([]);
  });

  it("lets a producer stream through a slow reader with waitWritable, never refused", async () => {
    const lab = await startLab(TUNING, cleanup);
    const linkP = nextLink(lab.server);
    const raw = await RawPeer.open(lab);
    cleanup.push(() => raw.close());
    const link = await linkP;
    // a reader that keeps stalling
    const toggler = setInterval(() => (raw.ws.isPaused ? raw.ws.resume() : raw.ws.pause()), 10);
    cleanup.push(() => clearInterval(toggler));
    const total = 256; // 16 MiB
    let maxQueued = 0;
    for (let i = 0; i < total; i++) {
      if (!link.writable) await link.waitWritable();
      link.send(used(i));
      maxQueued = Math.max(maxQueued, link.queuedBytes);
    }
    clearInterval(toggler);
    raw.ws.resume();
    const usedFrames = () =>
      raw.received.filter((m) => m.t === "virtio.used") as MessageOf<"virtio.used">[];
    await until(() => usedFrames().length === total, 10_000, "stream");
    expect(maxQueued).toBe(0);
    expect(usedFrames().map((m) => m.desc)).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it("refuses requests beyond maxPendingRequests with E_BACKPRESSURE", async () => {
    const lab = await startLab({}, cleanup);
    lab.server.handle("vmgenid.read", () => new Promise(() => {}));
    const client = connectGuest(lab, { maxPendingRequests: 3, requestTimeoutMs: 60_000 });
    const link = await client.opened();
    const pending = [0, 1, 2].map(() => client.request({ t: "vmgenid.read" }).catch(() => {}));
    const err = await client.request({ t: "vmgenid.read" }).catch((e: unknown) => e);
    expect((err as WireError).code).toBe("E_BACKPRESSURE");
    expect(link.pendingRequests).toBe(3);
    link.close();
    await Promise.all(pending);
  });

  it("runs at most maxConcurrentHandlers of a peer's requests at once, and all complete", async () => {
    const lab = await startLab({ maxConcurrentHandlers: 2 }, cleanup);
    let active = 0;
    let peak = 0;
    lab.server.handle("msr.rdmsr", async (m) => {
      active++;
      peak = Math.max(peak, active);
      await sleep(5);
      active--;
      return { t: "msr.gp", index: m.index };
    });
    const client = connectGuest(lab);
    await client.opened();
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.request({ t: "msr.rdmsr", index: i })),
    );
    expect(replies.map((r) => r.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(peak).toBe(2);
  });
});
