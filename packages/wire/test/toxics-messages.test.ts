import { afterEach, describe, expect, it } from "vitest";
import { WireError } from "../src/index.js";
import { sliceEnds } from "../src/link/toxics/slicer.js";
import { next, RawPeer, sleep, startLab, until } from "./helpers.js";
import { encodedSize, invalidMessage, pair, scripted, usedMsg } from "./toxic-helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe("toxics: validation", () => {
  it("rejects bad parameters, unknown types, duplicates and a receive slicer with E_INVALID", async () => {
    const { hv } = await pair(cleanup);
    const bad: [string, unknown, RegExp][] = [
      [
        "send",
        { type: "latency", latencyMs: -1, jitterMs: 0 },
        /latency\.latencyMs must be a finite number >= 0, got -1/,
      ],
      ["send", { type: "latency", latencyMs: Number.NaN, jitterMs: 0 }, /latencyMs .*got NaN/],
      ["send", { type: "latency", latencyMs: 5 }, /latency\.jitterMs must be/],
      [
        "send",
        { type: "latency", latency: 5, latencyMs: 5, jitterMs: 0 },
        /latency has no field latency/,
      ],
      ["send", { type: "bandwidth", bytesPerSec: 0 }, /bytesPerSec must be a finite number > 0/],
      [
        "send",
        { type: "drop", probability: 1.5 },
        /drop\.probability must be a number in \[0, 1\]/,
      ],
      ["receive", { type: "duplicate", probability: -0.1 }, /duplicate\.probability/],
      [
        "send",
        { type: "corrupt", probability: 1, bytes: 0 },
        /corrupt\.bytes must be an integer >= 1/,
      ],
      ["send", { type: "limit_data", bytes: 1.5 }, /limit_data\.bytes must be an integer >= 0/],
      ["send", { type: "timeout", timeoutMs: Number.POSITIVE_INFINITY }, /timeoutMs/],
      ["send", { type: "flood", rate: 1 }, /unknown type flood/],
      ["send", null, /expected an object/],
      ["sideways", { type: "drop", probability: 0 }, /direction must be "send" or "receive"/],
      [
        "receive",
        { type: "slicer", averageSize: 10, sizeVariation: 2, delayUs: 0 },
        /slicer only acts on send/,
      ],
      [
        "send",
        { type: "slicer", averageSize: 10, sizeVariation: 10, delayUs: 0 },
        /sizeVariation must be less than averageSize/,
      ],
    ];
    for (const [direction, toxic, message] of bad) {
      expect(invalidMessage(() => hv.addToxic("t", direction as "send", toxic as never))).toMatch(
        message,
      );
    }
    expect(invalidMessage(() => hv.addToxic("", "send", { type: "drop", probability: 0 }))).toMatch(
      /name/,
    );
    hv.addToxic("slow", "send", { type: "latency", latencyMs: 1, jitterMs: 0 });
    expect(
      invalidMessage(() => hv.addToxic("slow", "receive", { type: "drop", probability: 0 })),
    ).toMatch(/toxic slow already exists/);
    hv.addToxic("s1", "send", { type: "slicer", averageSize: 10, sizeVariation: 0, delayUs: 0 });
    expect(
      invalidMessage(() =>
        hv.addToxic("s2", "send", {
          type: "slicer",
          averageSize: 10,
          sizeVariation: 0,
          delayUs: 0,
        }),
      ),
    ).toMatch(/already has a slicer/);
    expect(hv.toxics()).toEqual([
      { name: "slow", direction: "send", toxic: { type: "latency", latencyMs: 1, jitterMs: 0 } },
      {
        name: "s1",
        direction: "send",
        toxic: { type: "slicer", averageSize: 10, sizeVariation: 0, delayUs: 0 },
      },
    ]);
    expect(hv.removeToxic("nope")).toBe(false);
    expect(hv.removeToxic("slow")).toBe(true);
    expect(hv.toxics().map((e) => e.name)).toEqual(["s1"]);
    hv.close();
    expect(hv.toxics()).toEqual([]);
    expect(() => hv.addToxic("late", "send", { type: "drop", probability: 0 })).toThrow(
      expect.objectContaining({ code: "E_CLOSED" }),
    );
  });
});

describe("toxics: latency and bandwidth", () => {
  it("latency on send delays every message by at least latencyMs, in order", async () => {
    const p = await pair(cleanup);
    p.hv.addToxic("lat", "send", { type: "latency", latencyMs: 80, jitterMs: 0 });
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      sentAt.push(performance.now());
      p.hv.send(usedMsg(i));
      await sleep(10);
    }
    await until(() => p.used.length === 5);
    expect(p.used.map((u) => u.desc)).toEqual([0, 1, 2, 3, 4]);
    const delays = p.used.map((u, i) => u.at - sentAt[i]!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(80);
  });

  it("latency on receive delays what this side reads, before decoding", async () => {
    const p = await pair(cleanup);
    p.guest.addToxic("lat", "receive", { type: "latency", latencyMs: 80, jitterMs: 0 });
    const start = performance.now();
    p.hv.send(usedMsg(1));
    p.hv.send(usedMsg(2));
    await until(() => p.used.length === 2);
    expect(p.used.map((u) => u.desc)).toEqual([1, 2]);
    expect(p.used[0]!.at - start).toBeGreaterThanOrEqual(80);
  });

  it("jitter never reorders messages, even when later draws are shorter", async () => {
    const p = await pair(cleanup);
    // Draws fall from 1 to 0: message i would be due at 2·40·(1 - i/20) ms without the FIFO.
    const draws = Array.from({ length: 20 }, (_, i) => 1 - i / 20);
    p.hv.addToxic("jit", "send", { type: "latency", latencyMs: 40, jitterMs: 40 }, scripted(draws));
    const start = performance.now();
    for (let i = 0; i < 20; i++) p.hv.send(usedMsg(i));
    await until(() => p.used.length === 20);
    expect(p.used.map((u) => u.desc)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The first draw (1) asked for 40 + 40 ms; everything behind it waited for it.
    expect(p.used[19]!.at - start).toBeGreaterThanOrEqual(80);
  });

  it("bandwidth: N bytes at R bytes/s take at least N/R seconds", async () => {
    const p = await pair(cleanup);
    const rate = 20_000;
    p.hv.addToxic("bw", "send", { type: "bandwidth", bytesPerSec: rate });
    const msgs = Array.from({ length: 8 }, (_, i) => usedMsg(i, 1000));
    const total = msgs.reduce((n, m) => n + encodedSize(m), 0);
    const start = performance.now();
    for (const m of msgs) p.hv.send(m);
    await until(() => p.used.length === 8);
    const elapsed = p.used[7]!.at - start;
    expect(elapsed).toBeGreaterThanOrEqual((total / rate) * 1000);
    // paced, not bunched: the first arrives after its own slot, well before the last
    expect(p.used[0]!.at - start).toBeGreaterThanOrEqual((encodedSize(msgs[0]!) / rate) * 1000);
    expect(p.used.map((u) => u.desc)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("removing a latency toxic releases what it held, in order, and later messages flow", async () => {
    const p = await pair(cleanup);
    p.hv.addToxic("lat", "send", { type: "latency", latencyMs: 60_000, jitterMs: 0 });
    for (let i = 0; i < 3; i++) p.hv.send(usedMsg(i));
    await sleep(50);
    expect(p.used).toHaveLength(0);
    expect(p.hv.removeToxic("lat")).toBe(true);
    p.hv.send(usedMsg(3));
    await until(() => p.used.length === 4, 3000, "released messages");
    expect(p.used.map((u) => u.desc)).toEqual([0, 1, 2, 3]);
  });

  it("a request under latency longer than its timeout fails with E_TIMEOUT, never hangs", async () => {
    const p = await pair(cleanup);
    p.guest.addToxic("lat", "send", { type: "latency", latencyMs: 60_000, jitterMs: 0 });
    const err = await p.guest.request({ t: "msr.rdmsr", index: 1 }, { timeoutMs: 150 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("E_TIMEOUT");
    expect(p.guest.state).toBe("open");
  });
});

describe("toxics: drop, duplicate, corrupt and composition", () => {
  it("drop and duplicate follow the random sequence exactly", async () => {
    const p = await pair(cleanup);
    // drop when the draw < 0.5: messages 0, 2 and 4 are lost
    p.hv.addToxic(
      "drop",
      "send",
      { type: "drop", probability: 0.5 },
      scripted([0.1, 0.9, 0.4, 0.6, 0.2]),
    );
    for (let i = 0; i < 5; i++) p.hv.send(usedMsg(i));
    p.hv.removeToxic("drop");
    // duplicate when the draw < 0.5: messages 10, 12 and 14 arrive twice
    p.hv.addToxic(
      "dup",
      "send",
      { type: "duplicate", probability: 0.5 },
      scripted([0.1, 0.9, 0.4, 0.6, 0.2]),
    );
    for (let i = 10; i < 15; i++) p.hv.send(usedMsg(i));
    p.hv.send(usedMsg(99, 1)); // draw 0.999: once
    await until(() => p.used.some((u) => u.desc === 99));
    expect(p.used.map((u) => u.desc)).toEqual([1, 3, 10, 10, 11, 12, 12, 13, 14, 14, 99]);
  });

  it("toxics in one direction compose in insertion order", async () => {
    const p = await pair(cleanup);
    // duplicate then drop: the copy is a separate message the drop toxic may take
    p.hv.addToxic("dup", "send", { type: "duplicate", probability: 1 });
    p.hv.addToxic("drop", "send", { type: "drop", probability: 0.5 }, scripted([0.1, 0.9]));
    p.hv.send(usedMsg(1));
    p.hv.removeToxic("dup");
    p.hv.removeToxic("drop");
    // drop then duplicate: a kept message is then doubled
    p.hv.addToxic("drop2", "send", { type: "drop", probability: 0.5 }, scripted([0.9]));
    p.hv.addToxic("dup2", "send", { type: "duplicate", probability: 1 });
    p.hv.send(usedMsg(2));
    // latency then drop: what survives is still delayed
    p.hv.removeToxic("drop2");
    p.hv.removeToxic("dup2");
    p.hv.addToxic("lat", "send", { type: "latency", latencyMs: 60, jitterMs: 0 });
    p.hv.addToxic("drop3", "send", { type: "drop", probability: 0.5 }, scripted([0.1, 0.9]));
    const start = performance.now();
    p.hv.send(usedMsg(3));
    p.hv.send(usedMsg(4));
    await until(() => p.used.some((u) => u.desc === 4));
    expect(p.used.map((u) => u.desc)).toEqual([1, 2, 2, 4]);
    expect(p.used[3]!.at - start).toBeGreaterThanOrEqual(60);
  });

  it("corrupt on receive: the codec rejects the frame, the link stays up for the next one", async () => {
    const p = await pair(cleanup);
    const errors: WireError[] = [];
    p.hv.on("wireError", (e) => errors.push(e));
    // draws: corrupt (0 < 1), position 0 (the map header), XOR 0x80: 0x8N becomes 0x0N, a bare int
    p.hv.addToxic(
      "bits",
      "receive",
      { type: "corrupt", probability: 1, bytes: 1 },
      scripted([0, 0, 0.5]),
    );
    p.guest.send({ t: "virtio.avail", desc: 1, len: 64 });
    await until(() => errors.length === 1);
    expect(errors[0]!.code).toBe("E_DECODE");
    expect(p.hv.stats.malformed).toBe(1);
    p.hv.removeToxic("bits");
    p.guest.send({ t: "virtio.avail", desc: 2, len: 64 });
    await until(() => p.avail.length === 1);
    expect(p.avail).toEqual([2]);
    expect(p.hv.state).toBe("open");
    expect(p.guest.state).toBe("open");
  });

  it("corrupt on send: the peer rejects the frame and both stay up", async () => {
    const p = await pair(cleanup);
    const errors: WireError[] = [];
    p.hv.on("wireError", (e) => errors.push(e));
    const draws = scripted([0, 0, 0.5]); // then 0.999 >= 0.5: intact
    p.guest.addToxic("bits", "send", { type: "corrupt", probability: 0.5, bytes: 1 }, draws);
    p.guest.send({ t: "virtio.avail", desc: 1, len: 64 });
    p.guest.send({ t: "virtio.avail", desc: 2, len: 64 });
    await until(() => p.avail.length === 1 && errors.length === 1);
    expect(errors[0]!.code).toBe("E_DECODE");
    expect(p.avail).toEqual([2]);
    expect(p.hv.state).toBe("open");
  });
});

describe("toxics: slicer", () => {
  it("cuts like Toxiproxy's slicer: pieces of averageSize ± sizeVariation covering the frame", () => {
    const ends = sliceEnds(1000, 100, 20, scripted([], 0.5));
    expect(ends.at(-1)).toBe(1000);
    let from = 0;
    for (const e of ends) {
      expect(e - from).toBeGreaterThan(0);
      expect(e - from).toBeLessThanOrEqual(120);
      from = e;
    }
    expect(ends.length).toBeGreaterThanOrEqual(8);
    expect(sliceEnds(50, 100, 20, Math.random)).toEqual([50]);
  });

  it("sends one message as continuation frames the peer's socket reads in slices, reassembled intact", async () => {
    const lab = await startLab({}, cleanup);
    const hvP = next<[import("../src/index.js").Link]>(lab.server, "link");
    const raw = new RawPeer(lab.server.url, lab.guestToken, "guest", "vm-1");
    cleanup.push(() => raw.close());
    const chunks: number[] = [];
    raw.ws.once("upgrade", (res) => {
      res.socket.on("data", (d: Buffer) => chunks.push(d.byteLength));
    });
    await next(raw.ws, "open");
    raw.sendMsg({
      t: "hello",
      minVersion: 1,
      maxVersion: 1,
      role: "guest",
      node: "vm-1",
      software: "raw-test-peer",
    });
    const [hv] = await hvP;
    await raw.waitFor((m) => m.t === "welcome");
    await sleep(20);
    chunks.length = 0;
    hv.addToxic("slice", "send", {
      type: "slicer",
      averageSize: 100,
      sizeVariation: 20,
      delayUs: 3000,
    });
    const payload = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    hv.send({ t: "virtio.used", desc: 9, data: payload });
    const got = await raw.waitFor((m) => m.t === "virtio.used");
    expect(got).toEqual({ t: "virtio.used", desc: 9, data: payload });
    expect(raw.undecodable).toEqual([]);
    // ≥ 8 slices of ≤ 120 bytes plus 2–4 header bytes each, each written 3 ms apart
    expect(chunks.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(130);
    // removing it mid-stream sends the rest whole: the next message is one read
    hv.removeToxic("slice");
    chunks.length = 0;
    hv.send({ t: "virtio.used", desc: 10, data: payload });
    await raw.waitFor((m) => m.t === "virtio.used" && m.desc === 10);
    expect(chunks).toHaveLength(1);
  });
});
