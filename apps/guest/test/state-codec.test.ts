import { describe, expect, it } from "vitest";
import { decodeState, encodeState } from "../src/state-codec.js";

describe("guest state codec", () => {
  it("keeps bigints as bigints and byte arrays as Uint8Arrays through bytes", () => {
    const v = {
      a: 1,
      big: (1n << 64n) - 1n,
      bytes: Uint8Array.of(0, 255, 7),
      nested: [{ k: 2n, b: new Uint8Array(0) }, "x", null],
    };
    const back = decodeState(encodeState(v));
    expect(back).toEqual(v);
    const b = back as typeof v;
    expect(typeof b.big).toBe("bigint");
    expect(b.bytes).toBeInstanceOf(Uint8Array);
    expect(b.nested[0]).toEqual({ k: 2n, b: new Uint8Array(0) });
  });

  it("rejects bytes that are not a saved guest with a typed E_INVALID", () => {
    expect(() => decodeState(Uint8Array.of(0xff, 0xfe, 0x00))).toThrow(
      expect.objectContaining({ code: "E_INVALID" }),
    );
    expect(() => decodeState(new TextEncoder().encode("{not json"))).toThrow(
      expect.objectContaining({ code: "E_INVALID" }),
    );
  });
});
