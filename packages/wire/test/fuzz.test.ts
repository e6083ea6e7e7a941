import fc from "fast-check";
import { Packr } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import {
  Codec,
  isMessage,
  MESSAGE_TYPES,
  type MessageOf,
  PACKR_OPTIONS,
  WireError,
} from "../src/index.js";
import { clone, SAMPLES } from "./fixtures.js";
import { nextLink, RawPeer, startLab } from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** mulberry32: a tiny seeded PRNG, so every run fuzzes the same cases and failures replay. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const codec = new Codec();
const rawPackr = new Packr({ ...PACKR_OPTIONS });
const VALID = Object.values(SAMPLES).map((m) => Uint8Array.from(codec.encode(clone(m))));
/** Bytes that are headers, extensions or length prefixes: where parsers tend to break. */
const INTERESTING = [
  0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
  0xcf, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff,
];

/** Random bytes, map-shaped noise, and many kinds of mutation of valid frames. */
function fuzzFrame(rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const noise = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const base = Uint8Array.from(pick(VALID));
  switch (int(8)) {
    case 0:
      return noise(int(65));
    case 1: {
      const b = noise(1 + int(128));
      b[0] = 0x80 | int(16);
      return b;
    }
    case 2: {
      for (let k = 1 + int(8); k > 0; k--) base[int(base.length)] = int(256);
      return base;
    }
    case 3: {
      for (let k = 1 + int(4); k > 0; k--) base[int(base.length)]! ^= 1 << int(8);
      return base;
    }
    case 4:
      return base.subarray(0, int(base.length));
    case 5: {
      const at = int(base.length + 1);
      const ins = noise(1 + int(16));
      const out = new Uint8Array(base.length + ins.length);
      out.set(base.subarray(0, at));
      out.set(ins, at);
      out.set(base.subarray(at), at + ins.length);
      return out;
    }
    case 6: {
      const other = pick(VALID);
      const a = base.subarray(0, int(base.length));
      const b = other.subarray(int(other.length));
      const out = new Uint8Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    }
    default: {
      for (let k = 1 + int(3); k > 0; k--) base[int(base.length)] = pick(INTERESTING);
      return base;
    }
  }
}

/** Decodes and classifies: a valid message, a WireError, or (a bug) anything else. */
function probe(frame: Uint8Array, bugs: unknown[]): "ok" | "refused" {
  try {
    const msg = codec.decode(frame);
    if (!isMessage(msg)) bugs.push(new Error(`decode returned an invalid message ${String(msg)}`));
    return "ok";
  } catch (e) {
    if (!(e instanceof WireError)) bugs.push(e);
    return "refused";
  }
}

describe("fuzz", () => {
  it("decoder: 80,000 seeded random and mutated frames yield only messages or WireErrors", () => {
    const rand = prng(0x5eed_0001);
    const bugs: unknown[] = [];
    const outcome = { ok: 0, refused: 0 };
    const codes = new Map<string, number>();
    for (let i = 0; i < 80_000; i++) {
      const frame = fuzzFrame(rand);
      try {
        codec.decode(frame);
        outcome.ok++;
      } catch (e) {
        outcome.refused++;
        if (e instanceof WireError) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        else bugs.push(e);
      }
    }
    expect(bugs).toEqual([]);
    expect(outcome.ok + outcome.refused).toBe(80_000);
    // the corpus reaches every stage of the decoder, not just the first byte check
    expect(codes.get("E_DECODE")).toBeGreaterThan(1000);
    expect(codes.get("E_SCHEMA")).toBeGreaterThan(1000);
    expect(codes.get("E_UNKNOWN_TYPE")).toBeGreaterThan(10);
    expect(outcome.ok).toBeGreaterThan(100);
  });

  it("decoder: 10,000 arbitrary values under a real message type (fast-check)", () => {
    const bugs: unknown[] = [];
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGE_TYPES),
        fc.dictionary(fc.string({ maxLength: 12 }), fc.anything({ maxDepth: 4, withBigInt: true })),
        (t, fields) => {
          let frame: Uint8Array;
          try {
            frame = rawPackr.pack({ ...fields, t });
          } catch {
            return true; // not encodable (e.g. a bigint beyond 64 bits): no peer can send it
          }
          probe(frame, bugs);
          return bugs.length === 0;
        },
      ),
      { numRuns: 10_000, seed: 0x5eed_0002 },
    );
    expect(bugs).toEqual([]);
  });

  it("decoder: 10,000 valid messages with one field replaced by an arbitrary value (fast-check)", () => {
    const bugs: unknown[] = [];
    const samples = Object.values(SAMPLES);
    fc.assert(
      fc.property(
        fc.nat(samples.length - 1),
        fc.nat(),
        fc.anything({ maxDepth: 3, withBigInt: true }),
        (si, ki, value) => {
          const msg = clone(samples[si]!) as unknown as Record<string, unknown>;
          const keys = Object.keys(msg);
          msg[keys[ki % keys.length]!] = value;
          let frame: Uint8Array;
          try {
            frame = rawPackr.pack(msg);
          } catch {
            return true;
          }
          probe(frame, bugs);
          return bugs.length === 0;
        },
      ),
      { numRuns: 10_000, seed: 0x5eed_0003 },
    );
    expect(bugs).toEqual([]);
  });

  it("live server: 20,000 fuzzed frames over a real socket, then it still answers", async () => {
    const lab = await startLab({ malformedBudget: Number.POSITIVE_INFINITY }, cleanup);
    lab.server.handle("echo", (m) => ({ t: "echo.reply", data: m.data }));
    const linkP = nextLink(lab.server);
    const raw = await RawPeer.open(lab);
    cleanup.push(() => raw.close());
    const link = await linkP;
    const serverErrors: unknown[] = [];
    link.on("wireError", (e) => serverErrors.push(e));
    link.on("peerError", (e) => serverErrors.push(e));

    const rand = prng(0x5eed_0004);
    // Batches of 1000, each closed by an echo the server must answer: the peer reads its
    // replies like a sane client (a peer that never reads gets replies dropped; see
    // backpressure.test.ts), and every batch proves the server is still serving.
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 1000; i++) {
        if (i % 100 === 99) raw.sendRaw("not binary");
        else raw.sendRaw(fuzzFrame(rand));
      }
      const barrier = 0xffff_ff00 + batch;
      raw.sendMsg({ t: "echo", id: barrier, data: new Uint8Array([batch]) });
      await raw.waitFor((m) => m.t === "echo.reply" && m.re === barrier, 10_000);
    }
    const probeData = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const finalId = 0xffff_fff0;
    raw.sendMsg({ t: "echo", id: finalId, data: probeData });
    const reply = (await raw.waitFor(
      (m) => m.t === "echo.reply" && m.re === finalId,
      20_000,
    )) as MessageOf<"echo.reply">;
    expect(reply.data).toEqual(probeData);

    expect(link.state).toBe("open");
    expect(link.stats.framesIn).toBe(20_021);
    expect(link.stats.droppedReplies).toBe(0);
    expect(link.stats.malformed).toBeGreaterThan(15_000);
    expect(serverErrors.length).toBeGreaterThan(15_000);
    expect(serverErrors.every((e) => e instanceof WireError)).toBe(true);
    expect(raw.undecodable).toEqual([]); // everything the server sent back was a valid message
    const errorReplies = raw.received.filter((m) => m.t === "error");
    expect(errorReplies.length).toBeGreaterThan(15_000);
  });
});
