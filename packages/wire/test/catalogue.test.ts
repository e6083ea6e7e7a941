import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  Codec,
  isMessage,
  kindOf,
  MESSAGE_TYPES,
  type MessageType,
  maySend,
  PACKR_OPTIONS,
  REPLIES,
  SCHEMAS,
  SENDERS,
  schemaOf,
  validateMessage,
  WireError,
} from "../src/index.js";
import { clone, SAMPLES } from "./fixtures.js";
import { mutations } from "./mutate.js";

const codec = new Codec();
/** Encodes without validation, the way a buggy or hostile peer could. */
const rawPackr = new Packr({ ...PACKR_OPTIONS });

function expectWireError(fn: () => unknown, code: string): WireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    expect((e as WireError).code).toBe(code);
    return e as WireError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** Every bigint and Uint8Array in `v`, with their paths, to check types survive the trip. */
function leaves(v: unknown, path = ""): [string, unknown][] {
  if (typeof v === "bigint" || v instanceof Uint8Array) return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${path}/${i}`));
  if (typeof v === "object" && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => leaves(x, `${path}/${k}`));
  }
  return [];
}

describe("catalogue", () => {
  it("has one schema per type, unique tags, and a sample for each", () => {
    expect(new Set(MESSAGE_TYPES).size).toBe(SCHEMAS.length);
    expect(Object.keys(SAMPLES).sort()).toEqual([...MESSAGE_TYPES].sort());
    for (const t of MESSAGE_TYPES) {
      expect(schemaOf(t)?.additionalProperties).toBe(false);
      expect(SENDERS[t].length).toBeGreaterThan(0);
    }
  });

  it("pairs every request with replies that exist and carry re", () => {
    const requests = MESSAGE_TYPES.filter((t) => kindOf(t) === "request");
    expect(Object.keys(REPLIES).sort()).toEqual([...requests].sort());
    for (const [req, replies] of Object.entries(REPLIES)) {
      for (const r of replies) {
        expect(kindOf(r as MessageType), `${req} -> ${r}`).toBe("reply");
      }
    }
    // every reply type answers at least one request
    const answering = new Set(Object.values(REPLIES).flat());
    for (const t of MESSAGE_TYPES.filter((t) => kindOf(t) === "reply")) {
      expect(answering.has(t as never), t).toBe(true);
    }
    expect(MESSAGE_TYPES.filter((t) => kindOf(t) === "oneway").sort()).toEqual(
      ["event", "log.line", "virtio.avail", "virtio.used", "vmgenid.notify"].sort(),
    );
  });

  it("scopes senders: a guest may only speak guest messages", () => {
    expect(maySend("guest", "virtio.avail")).toBe(true);
    expect(maySend("guest", "msr.wrmsr")).toBe(true);
    expect(maySend("guest", "fault.add")).toBe(false);
    expect(maySend("guest", "vm.start")).toBe(false);
    expect(maySend("guest", "virtio.used")).toBe(false);
    expect(maySend("guest", "boot.params")).toBe(false);
    expect(maySend("hypervisor", "virtio.avail")).toBe(false);
    expect(maySend("client", "cluster.up")).toBe(true);
    expect(maySend("hypervisor", "cluster.up")).toBe(false);
  });

  describe.each(MESSAGE_TYPES)("%s", (t) => {
    const sample = SAMPLES[t];

    it("round-trips with bigints and binaries intact", () => {
      expect(isMessage(sample)).toBe(true);
      const frame = codec.encode(clone(sample));
      const back = codec.decode(frame);
      expect(back).toEqual(sample);
      const want = leaves(sample);
      const got = new Map(leaves(back));
      for (const [path, v] of want) {
        const g = got.get(path);
        if (typeof v === "bigint") {
          expect(typeof g, path).toBe("bigint");
          expect(g).toBe(v);
        } else {
          expect(Object.getPrototypeOf(g), path).toBe(Uint8Array.prototype);
          expect((g as Uint8Array).buffer, path).not.toBe(frame.buffer);
        }
      }
    });

    it("rejects every wrong field, missing field, extra field and out-of-bounds value", () => {
      const schema = schemaOf(t)!;
      let count = 0;
      for (const m of mutations(schema, sample as unknown as Record<string, unknown>)) {
        count++;
        const bad = clone(sample) as unknown as Record<string, unknown>;
        m.apply(bad);
        const err = expectWireError(() => validateMessage(bad), "E_SCHEMA");
        expect(
          err.path === m.path || err.path?.startsWith(`${m.path}/`),
          `${m.what}: error path ${err.path}, message ${err.message}`,
        ).toBe(true);
        expect(err.message.startsWith(`${t}: ${err.path}: `), err.message).toBe(true);
        expect(() => codec.encode(bad as never), m.what).toThrow(WireError);
        // the same corruption arriving from a peer that skipped validation (2^64 has no
        // MessagePack encoding at all, so no peer can send that one)
        let frame: Uint8Array;
        try {
          frame = rawPackr.pack(bad);
        } catch (e) {
          expect(e, m.what).toBeInstanceOf(RangeError);
          continue;
        }
        try {
          codec.decode(frame);
          expect.unreachable(`${m.what} decoded`);
        } catch (e) {
          expect(e, m.what).toBeInstanceOf(WireError);
          expect(["E_SCHEMA", "E_DECODE", "E_FRAME_TOO_LARGE"]).toContain((e as WireError).code);
        }
      }
      expect(count).toBeGreaterThan(1);
    });
  });

  it("rejects a missing, non-string or unknown discriminant", () => {
    const { t: _t, ...untagged } = SAMPLES["vm.start"];
    expect(expectWireError(() => validateMessage(untagged), "E_SCHEMA").path).toBe("/t");
    expectWireError(() => validateMessage({ ...SAMPLES["vm.start"], t: 5 }), "E_SCHEMA");
    const unknown = expectWireError(
      () => validateMessage({ t: "vm.explode", id: 77 }),
      "E_UNKNOWN_TYPE",
    );
    expect(unknown.requestId).toBe(77);
    expectWireError(() => validateMessage(null), "E_SCHEMA");
    expectWireError(() => validateMessage([1, 2]), "E_SCHEMA");
  });

  it("names the allowed values when an enum field is wrong", () => {
    const bad = { ...SAMPLES["rng.errno"], errno: "ENOENT" };
    const err = expectWireError(() => validateMessage(bad), "E_SCHEMA");
    expect(err.message).toContain('expected one of "EINTR"');
    expect(err.path).toBe("/errno");
  });

  it("accepts u64 extremes exactly and refuses 2^64 and negatives", () => {
    const max = { ...SAMPLES["msr.value"], value: (1n << 64n) - 1n };
    expect(codec.decode(codec.encode(max))).toEqual(max);
    expectWireError(() => validateMessage({ ...max, value: 1n << 64n }), "E_SCHEMA");
    expectWireError(() => validateMessage({ ...max, value: -1n }), "E_SCHEMA");
  });
});
