import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EgdError } from "../../src/egd/errors.js";
import { EgdRequestParser } from "../../src/egd/parser.js";
import type { EgdRequest } from "../../src/egd/protocol.js";

const u8 = (...b: number[]) => new Uint8Array(b);

/** Drains every complete request the parser holds. */
function drain(p: EgdRequestParser): EgdRequest[] {
  const out: EgdRequest[] = [];
  for (let r = p.next(); r !== undefined; r = p.next()) out.push(r);
  return out;
}

/** The wire bytes of a request, laid out as protocol.ts documents. */
function encode(r: EgdRequest): Uint8Array {
  switch (r.kind) {
    case "level":
      return u8(0x00);
    case "read-nonblocking":
      return u8(0x01, r.n);
    case "read-blocking":
      return u8(0x02, r.n);
    case "write":
      return u8(0x03, r.shannons >> 8, r.shannons & 0xff, r.data.length, ...r.data);
    case "pid":
      return u8(0x04);
  }
}

describe("EgdRequestParser", () => {
  it("parses every command with its arguments in network byte order", () => {
    const p = new EgdRequestParser();
    p.push(u8(0x00, 0x01, 0x20, 0x02, 0xff, 0x03, 0x01, 0x02, 0x03, 0xaa, 0xbb, 0xcc, 0x04));
    expect(drain(p)).toEqual([
      { kind: "level" },
      { kind: "read-nonblocking", n: 0x20 },
      { kind: "read-blocking", n: 255 },
      { kind: "write", shannons: 0x0102, data: u8(0xaa, 0xbb, 0xcc) },
      { kind: "pid" },
    ]);
    expect(p.midRequest).toBe(false);
    expect(p.bufferedBytes).toBe(0);
    expect(p.offsetInStream).toBe(13);
  });

  it("takes zero-length reads and writes, and a full 255-byte 0x03 payload", () => {
    const p = new EgdRequestParser();
    const payload = Uint8Array.from({ length: 255 }, (_, i) => i);
    p.push(u8(0x02, 0x00, 0x01, 0x00, 0x03, 0xff, 0xff, 0x00, 0x03, 0x00, 0x08, 0xff, ...payload));
    const got = drain(p);
    expect(got).toEqual([
      { kind: "read-blocking", n: 0 },
      { kind: "read-nonblocking", n: 0 },
      { kind: "write", shannons: 0xffff, data: new Uint8Array(0) },
      { kind: "write", shannons: 8, data: payload },
    ]);
  });

  it("serves QEMU's pattern: many [0x02, len] headers pipelined in one segment", () => {
    // rng_egd_request_entropy (backends/rng-egd.c) writes one header per 255 bytes requested.
    const p = new EgdRequestParser();
    const segment = new Uint8Array(2 * 100);
    for (let i = 0; i < 100; i++) segment.set([0x02, i % 2 ? 64 : 255], 2 * i);
    p.push(segment);
    const got = drain(p);
    expect(got).toHaveLength(100);
    expect(got.every((r, i) => r.kind === "read-blocking" && r.n === (i % 2 ? 64 : 255))).toBe(
      true,
    );
  });

  it("parses a request cut at every possible byte boundary, exactly once", () => {
    const stream = u8(0x02, 0x40, 0x03, 0x00, 0x10, 0x02, 0x7e, 0x7f, 0x00, 0x01, 0x05, 0x04);
    const want = [
      { kind: "read-blocking", n: 64 },
      { kind: "write", shannons: 16, data: u8(0x7e, 0x7f) },
      { kind: "level" },
      { kind: "read-nonblocking", n: 5 },
      { kind: "pid" },
    ];
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new EgdRequestParser();
      p.push(stream.subarray(0, cut));
      const first = drain(p);
      p.push(stream.subarray(cut));
      expect([...first, ...drain(p)]).toEqual(want);
    }
    // One byte at a time: a request is returned only when its last byte arrives.
    const p = new EgdRequestParser();
    const seen: (EgdRequest | undefined)[] = [];
    for (const b of stream) {
      p.push(u8(b));
      seen.push(p.next());
    }
    expect(seen.map((r) => r?.kind ?? null)).toEqual([
      null,
      "read-blocking",
      null,
      null,
      null,
      null,
      null,
      "write",
      "level",
      null,
      "read-nonblocking",
      "pid",
    ]);
  });

  it("reports a partial request and what it still lacks", () => {
    const p = new EgdRequestParser();
    p.push(u8(0x03, 0x00, 0x08, 0x04, 0x01));
    expect(p.next()).toBeUndefined();
    expect(p.midRequest).toBe(true);
    expect(p.describePartial()).toBe("0x03 add entropy request has 5 of 8 bytes");
    const q = new EgdRequestParser();
    q.push(u8(0x02));
    expect(q.next()).toBeUndefined();
    expect(q.describePartial()).toBe("0x02 blocking read request has 1 of 2 bytes");
    const r = new EgdRequestParser();
    r.push(u8(0x03, 0x00));
    r.next();
    expect(r.describePartial()).toBe("0x03 add entropy request has 2 of at least 4 bytes");
  });

  it("refuses an unknown command with a typed error naming it and its offset, and stays failed", () => {
    const p = new EgdRequestParser();
    p.push(u8(0x02, 0x08, 0x00, 0x07, 0x02, 0x08));
    expect(p.next()).toEqual({ kind: "read-blocking", n: 8 });
    expect(p.next()).toEqual({ kind: "level" });
    let err: unknown;
    try {
      p.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EgdError);
    expect((err as EgdError).code).toBe("E_EGD_UNKNOWN_COMMAND");
    expect((err as EgdError).message).toBe("unknown EGD command 0x07 at stream offset 3");
    // No resynchronisation: the stream has no framing, so later bytes are never trusted.
    expect(() => p.next()).toThrow(EgdError);
    for (const bad of [0x05, 0x7f, 0xff]) {
      const q = new EgdRequestParser();
      q.push(u8(bad));
      expect(() => q.next()).toThrow(/unknown EGD command/);
    }
  });

  it("yields the same requests however a random request stream is split (property)", () => {
    const request = fc.oneof(
      fc.constant<EgdRequest>({ kind: "level" }),
      fc.constant<EgdRequest>({ kind: "pid" }),
      fc.integer({ min: 0, max: 255 }).map((n): EgdRequest => ({ kind: "read-blocking", n })),
      fc.integer({ min: 0, max: 255 }).map((n): EgdRequest => ({ kind: "read-nonblocking", n })),
      fc
        .record({
          shannons: fc.integer({ min: 0, max: 0xffff }),
          data: fc.uint8Array({ maxLength: 255 }),
        })
        .map((w): EgdRequest => ({ kind: "write", ...w })),
    );
    fc.assert(
      fc.property(
        fc.array(request, { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
        (reqs, cuts) => {
          const bytes = reqs.map(encode);
          const stream = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
          let at = 0;
          for (const b of bytes) {
            stream.set(b, at);
            at += b.length;
          }
          const p = new EgdRequestParser();
          const got: EgdRequest[] = [];
          let pos = 0;
          for (let i = 0; pos < stream.length; i++) {
            const len = cuts[i % cuts.length]!;
            p.push(stream.subarray(pos, pos + len));
            pos += len;
            got.push(...drain(p));
          }
          expect(got).toEqual(reqs);
          expect(p.midRequest).toBe(false);
          expect(p.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
