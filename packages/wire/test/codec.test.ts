import { Packr, Unpackr } from "msgpackr";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Codec, DEFAULT_LIMITS, PACKR_OPTIONS, WireError } from "../src/index.js";
import { SAMPLES } from "./fixtures.js";

const codec = new Codec();
const rawPackr = new Packr({ ...PACKR_OPTIONS });
const enc = (s: string) => new TextEncoder().encode(s);

/** MessagePack bytes assembled by hand: [header bytes or strings]. */
function mp(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") {
      const b = enc(p);
      if (b.length > 31) throw new Error("fixstr only");
      out.push(0xa0 | b.length, ...b);
    } else out.push(...p);
  }
  return new Uint8Array(out);
}

function decodeError(frame: Uint8Array, c = codec): WireError {
  try {
    c.decode(frame);
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error("decoded");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("codec: integers", () => {
  it("keeps u64 above 2^53 exact and small bigints as bigint", () => {
    for (const v of [
      0n,
      1n,
      127n,
      (1n << 53n) + 1n,
      (1n << 63n) - 1n,
      1n << 63n,
      (1n << 64n) - 1n,
    ]) {
      const msg = { t: "gencounter.value", re: 1, counter: v } as const;
      const back = codec.decode(codec.encode(msg));
      expect(back).toEqual(msg);
      expect(typeof (back as typeof msg).counter).toBe("bigint");
    }
  });

  it("normalises a u64 another encoder wrote as a small int to bigint", () => {
    // {t:"gencounter.value", re:5, counter:7} with 7 as a positive fixint
    const frame = mp(0x83, "t", "gencounter.value", "re", 5, "counter", 7);
    expect(codec.decode(frame)).toEqual({ t: "gencounter.value", re: 5, counter: 7n });
    // and as uint32
    const frame32 = mp(
      0x83,
      "t",
      "gencounter.value",
      "re",
      5,
      "counter",
      0xce,
      0xff,
      0xff,
      0xff,
      0xff,
    );
    expect(codec.decode(frame32)).toEqual({ t: "gencounter.value", re: 5, counter: 0xffff_ffffn });
  });

  it("normalises a u32 another encoder wrote as uint64 to number, but not out of range", () => {
    const u64 = (v: bigint) => {
      const b = new Uint8Array(9);
      b[0] = 0xcf;
      new DataView(b.buffer).setBigUint64(1, v);
      return b;
    };
    const ok = mp(0x83, "t", "msr.rdmsr", "id", u64(3n), "index", u64(0x10n));
    expect(codec.decode(ok)).toEqual({ t: "msr.rdmsr", id: 3, index: 16 });
    const tooBig = mp(0x83, "t", "msr.rdmsr", "id", 3, "index", u64(1n << 40n));
    const err = decodeError(tooBig);
    expect(err.code).toBe("E_SCHEMA");
    expect(err.path).toBe("/index");
    expect(err.requestId).toBe(3);
  });

  it("leaves bigints inside open event data alone", () => {
    const msg = {
      ...SAMPLES.event,
      vtimeMs: 3,
      data: { big: 5n, small: 5, bytes: new Uint8Array([1]) },
    };
    const back = codec.decode(codec.encode(msg)) as typeof msg;
    expect(back.data).toEqual({ big: 5n, small: 5, bytes: new Uint8Array([1]) });
  });

  it("refuses fractional and non-finite numbers where integers are expected", () => {
    expect(decodeError(rawPackr.pack({ t: "msr.rdmsr", id: 1, index: 1.5 })).path).toBe("/index");
    expect(decodeError(rawPackr.pack({ ...SAMPLES.event, vtimeMs: Number.NaN })).path).toBe(
      "/vtimeMs",
    );
  });
});

describe("codec: binaries", () => {
  it("copies every binary out of the frame (no aliasing of the receive buffer)", () => {
    const frame = codec.encode({ t: "virtio.used", desc: 1, data: new Uint8Array([1, 2, 3, 4]) });
    const received = Buffer.from(frame); // what ws hands over
    const msg = codec.decode(received) as { data: Uint8Array };
    expect(Object.getPrototypeOf(msg.data)).toBe(Uint8Array.prototype);
    expect(msg.data.buffer).not.toBe(received.buffer);
    expect(msg.data.byteOffset).toBe(0);
    expect(msg.data.buffer.byteLength).toBe(4); // its own ArrayBuffer, not a pool slice
    received.fill(0xee);
    expect([...msg.data]).toEqual([1, 2, 3, 4]);
  });

  it("encoded frames stay intact while later frames are encoded", () => {
    const frames = Array.from({ length: 2000 }, (_, i) =>
      codec.encode({ t: "virtio.avail", desc: i % 32768, len: 64 }),
    );
    frames.forEach((f, i) => {
      expect(codec.decode(f)).toEqual({ t: "virtio.avail", desc: i % 32768, len: 64 });
    });
  });

  it("omits optional fields set to undefined instead of sending an extension", () => {
    const frame = codec.encode({ t: "vm.stop", id: 1, vm: "vm-1", timeoutMs: undefined });
    expect(codec.decode(frame)).toEqual({ t: "vm.stop", id: 1, vm: "vm-1" });
    expect(Object.keys(codec.decode(frame))).not.toContain("timeoutMs");
  });
});

describe("codec: frame limits", () => {
  it("rejects an oversized frame before the decoder runs", () => {
    const spy = vi.spyOn(Unpackr.prototype, "unpack");
    const small = new Codec({ maxFrameBytes: 1024 });
    // valid message, just too big: the unpacker would happily decode it
    const frame = rawPackr.pack({ t: "echo", id: 1, data: new Uint8Array(2000) });
    const err = decodeError(frame, small);
    expect(err.code).toBe("E_FRAME_TOO_LARGE");
    expect(spy).not.toHaveBeenCalled();
    // a frame past the default limit made of garbage: rejected on its length alone
    const huge = new Uint8Array(DEFAULT_LIMITS.maxFrameBytes + 1).fill(0xc1);
    expect(decodeError(huge).code).toBe("E_FRAME_TOO_LARGE");
    expect(spy).not.toHaveBeenCalled();
    // control: a frame within limits does reach the unpacker
    small.decode(rawPackr.pack({ t: "echo", id: 1, data: new Uint8Array(10) }));
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("refuses to produce a frame over the limit", () => {
    const small = new Codec({ maxFrameBytes: 1024 });
    expect(() => small.encode({ t: "echo", id: 1, data: new Uint8Array(2000) })).toThrowError(
      expect.objectContaining({ code: "E_FRAME_TOO_LARGE" }),
    );
  });

  it("rejects lying lengths without allocating (a 4-billion-item array in 6 bytes)", () => {
    const spy = vi.spyOn(Unpackr.prototype, "unpack");
    for (const frame of [
      mp(0x81, "t", 0xdd, 0xff, 0xff, 0xff, 0xff), // array32 of 2^32-1
      mp(0x81, "t", 0xdf, 0xff, 0xff, 0xff, 0xff), // map32
      mp(0x81, "t", 0xc6, 0xff, 0xff, 0xff, 0xff), // bin32
      mp(0x81, "t", 0xdb, 0xff, 0xff, 0xff, 0xff), // str32
      mp(0xdf, 0x7f, 0xff, 0xff, 0xff), // top-level map32
    ]) {
      expect(decodeError(frame).code).toBe("E_DECODE");
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it("enforces depth, collection and string limits before decoding", () => {
    const spy = vi.spyOn(Unpackr.prototype, "unpack");
    const tight = new Codec({ maxDepth: 3, maxCollection: 4, maxStringBytes: 8 });
    const deep = decodeError(mp(0x81, "a", 0x91, 0x91, 0x91, 0x90), tight);
    expect(deep.message).toContain("nesting deeper than 3");
    const wide = decodeError(mp(0x81, "a", 0x95, 1, 2, 3, 4, 5), tight);
    expect(wide.message).toContain("array of 5 items");
    const long = decodeError(mp(0x81, "a", "123456789"), tight);
    expect(long.message).toContain("string of 9 bytes");
    expect(spy).not.toHaveBeenCalled();
    // 10 000 nested arrays: refused by the scanner, no stack overflow
    const bomb = new Uint8Array(10_004).fill(0x91);
    bomb.set([0x81, 0xa1, 0x61], 0);
    bomb[bomb.length - 1] = 0x90;
    expect(decodeError(bomb).code).toBe("E_DECODE");
  });
});

describe("codec: what the scanner refuses", () => {
  const cases: [string, Uint8Array, string][] = [
    ["empty frame", new Uint8Array(0), "empty"],
    ["a top-level array", mp(0x91, 1), "not a map"],
    ["a top-level string", mp("hello"), "not a map"],
    ["the never-used byte 0xc1", mp(0x81, "t", 0xc1), "0xc1"],
    ["a timestamp extension (-1)", mp(0x81, "t", 0xd6, 0xff, 0, 0, 0, 0), "extension"],
    ["a record definition (0x72)", mp(0x81, "t", 0xd4, 0x72, 0x40), "extension"],
    ["a typed-array extension", mp(0x81, "t", 0xc7, 2, 0x74, 1, 2), "extension"],
    ["undefined as msgpackr writes it", mp(0x81, "t", 0xd4, 0, 0), "extension"],
    ["an integer map key", mp(0x81, 1, 2), "not a string"],
    ["a binary map key", mp(0x81, 0xc4, 1, 0x61, 2), "not a string"],
    ["a __proto__ key", mp(0x81, "__proto__", 0x80), "__proto__"],
    ["trailing bytes", mp(0x80, 0x00), "trailing"],
    ["a truncated value", mp(0x81, "t", 0xcb, 0, 0), "truncated"],
    ["a truncated map", mp(0x82, "t", 1), "truncated"],
  ];
  it.each(cases)("%s", (_name, frame, text) => {
    const spy = vi.spyOn(Unpackr.prototype, "unpack");
    const err = decodeError(frame);
    expect(err.code).toBe("E_DECODE");
    expect(err.message).toContain(text);
    expect(spy).not.toHaveBeenCalled();
  });

  it("accepts the same shapes once they are well-formed (the scanner is not over-strict)", () => {
    // map16 header, str8 key, negative fixint, float32, nil inside an open object
    const frame = mp(
      0xde,
      0x00,
      0x07,
      0xd9,
      1,
      0x74,
      "event",
      "node",
      "vm-1",
      "vtimeMs",
      0xca,
      0x3f,
      0x80,
      0x00,
      0x00,
      "kind",
      "k",
      "level",
      "info",
      "message",
      "m",
      "data",
      0x82,
      "neg",
      0xff,
      "nil",
      0xc0,
    );
    expect(codec.decode(frame)).toEqual({
      t: "event",
      node: "vm-1",
      vtimeMs: 1,
      kind: "k",
      level: "info",
      message: "m",
      data: { neg: -1, nil: null },
    });
  });
});

describe("codec: typed errors", () => {
  it("gives the request id of a frame that failed validation, for correlation", () => {
    const err = decodeError(rawPackr.pack({ t: "vm.start", id: 41, vm: 7 }));
    expect(err.code).toBe("E_SCHEMA");
    expect(err.requestId).toBe(41);
    expect(err.path).toBe("/vm");
    expect(err.message).toBe("vm.start: /vm: expected string");
  });

  it("reports unknown types as E_UNKNOWN_TYPE", () => {
    const err = decodeError(rawPackr.pack({ t: "vm.levitate", id: 2 }));
    expect(err.code).toBe("E_UNKNOWN_TYPE");
    expect(err.requestId).toBe(2);
  });
});

describe("precompiled validators (what the guest bundle carries)", () => {
  it("behave as the runtime-compiled ones on every message type, valid and broken", async () => {
    const { precompiledChecksModule, MESSAGE_TYPES, schemaOf } = await import("../src/index.js");
    const { TypeCompiler } = await import("@sinclair/typebox/compiler");
    const { TypeSystemPolicy } = await import("@sinclair/typebox/system");
    const source = precompiledChecksModule().replace("export const PRECOMPILED_CHECKS =", "return");
    const table = new Function(source)() as Record<string, (v: unknown) => boolean>;
    expect(Object.keys(table).sort()).toEqual([...MESSAGE_TYPES].sort());
    const samples: unknown[] = [
      { t: "log.line", node: "vm-1", vtimeMs: 0, level: 6, text: "random: crng init done" },
      { t: "log.line", node: "vm-1", vtimeMs: 0, level: 8, text: "x" },
      { t: "log.line", node: "vm-1", vtimeMs: 0, level: 6, text: "x", extra: 1 },
      { t: "log.line", node: "vm-1", vtimeMs: 0, level: 6, text: undefined },
      { t: "hello", minVersion: 1, maxVersion: 1, role: "guest", node: "vm-1", software: "s" },
      { t: "hello", minVersion: 1, maxVersion: 1, role: "root", node: "vm-1", software: "s" },
      { t: "echo", id: 1, data: new Uint8Array(3) },
      { t: "echo", id: 0, data: new Uint8Array(3) },
      { t: "echo", id: 1, data: [1, 2, 3] },
      { t: "ok", re: 5 },
      {},
      null,
      ...Object.values(SAMPLES),
    ];
    TypeSystemPolicy.ExactOptionalPropertyTypes = true;
    try {
      for (const t of MESSAGE_TYPES) {
        const compiled = TypeCompiler.Compile(schemaOf(t)!);
        for (const v of samples) {
          const retagged = v && typeof v === "object" ? { ...v, t } : v;
          for (const x of [v, retagged]) expect(table[t]!(x), t).toBe(compiled.Check(x));
        }
      }
    } finally {
      TypeSystemPolicy.ExactOptionalPropertyTypes = false;
    }
    expect(table["log.line"]!(samples[0])).toBe(true);
    expect(table["log.line"]!(samples[1])).toBe(false);
  });
});
