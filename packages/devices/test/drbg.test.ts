import { chacha20 } from "@noble/ciphers/chacha.js";
import { describe, expect, it } from "vitest";
import { ChaChaDrbg, DeviceConfigError } from "../src/index.js";

const keystream = (key: Uint8Array, n: number) =>
  chacha20(key, new Uint8Array(12), new Uint8Array(n));

describe("ChaChaDrbg", () => {
  it("fast key erasure: block bytes 0..31 become the key, the rest is output", () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
    const d = new ChaChaDrbg(seed);
    const s1 = keystream(seed, 32 + 64);
    expect(d.generate(64)).toEqual(s1.subarray(32));
    const k2 = s1.slice(0, 32);
    const s2 = keystream(k2, 32 + 10);
    expect(d.generate(10)).toEqual(s2.subarray(32));
    expect(d.bytesGenerated).toBe(74);
  });

  it("reseed resets the since-reseed counter, mix does not; both change the stream", () => {
    const seed = new Uint8Array(32).fill(9);
    const a = new ChaChaDrbg(seed);
    const b = new ChaChaDrbg(seed);
    a.generate(100);
    b.generate(100);
    a.mix(Uint8Array.of(1));
    expect(a.bytesSinceReseed).toBe(100);
    expect(a.generate(16)).not.toEqual(b.generate(16));
    a.reseed(new Uint8Array(32).fill(3));
    expect(a.bytesSinceReseed).toBe(0);
    expect(a.reseedCount).toBe(1);
  });

  it("long seeds are condensed; short seeds and bad sizes are typed errors", () => {
    expect(new ChaChaDrbg(new Uint8Array(64)).generate(8)).toHaveLength(8);
    expect(() => new ChaChaDrbg(new Uint8Array(16))).toThrow(DeviceConfigError);
    expect(() => new ChaChaDrbg(new Uint8Array(32)).generate(-1)).toThrow(DeviceConfigError);
  });
});
