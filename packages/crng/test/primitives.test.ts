import { chacha20 } from "@noble/ciphers/chacha.js";
import { blake2s } from "@noble/hashes/blake2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/bytes.js";
import { blake2s256, blake2sKeyed, PoolHash } from "../src/crypto/blake2s.js";
import { chacha20Block, chachaBlocks, chachaInit, newChachaState } from "../src/crypto/chacha20.js";
import {
  fastMix,
  SIPHASH_CONST_0,
  SIPHASH_CONST_1,
  SIPHASH_CONST_2,
  SIPHASH_CONST_3,
  sipPermute,
  swab64,
} from "../src/kernel/siphash.js";

const KEY = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

/** RFC 8439 state: words 12 = block counter, 13..15 = the 96-bit nonce. */
function rfcState(counter: number, nonceHex: string) {
  const st = newChachaState();
  chachaInit(st, KEY);
  const nonce = fromHex(nonceHex);
  const dv = new DataView(nonce.buffer);
  st[12] = counter;
  st[13] = dv.getUint32(0, true);
  st[14] = dv.getUint32(4, true);
  st[15] = dv.getUint32(8, true);
  return st;
}

describe("ChaCha20 (RFC 8439) through chacha20Block / chachaBlocks", () => {
  it("§2.3.2 block function test vector, and x[12] advances by one", () => {
    const st = rfcState(1, "000000090000004a00000000");
    const out = new Uint8Array(64);
    chacha20Block(st, out);
    expect(toHex(out)).toBe(
      "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
    );
    expect(st[12]).toBe(2);
  });

  it("§2.4.2 sunscreen encryption: keystream from counter 1 XOR plaintext", () => {
    const pt = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const st = rfcState(1, "000000000000004a00000000");
    const ks = new Uint8Array(128);
    chachaBlocks(st, ks, 0, 2);
    const ct = pt.map((b, i) => b ^ ks[i]!);
    expect(toHex(ct)).toBe(
      "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b" +
        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8" +
        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736" +
        "5af90bbf74a35be6b40b8eedf2785e42874d",
    );
    expect(st[12]).toBe(3);
  });

  it("chachaBlocks equals repeated chacha20Block, across the x[12] wrap with carry into x[13]", () => {
    for (const start of [0, 5, 0xffff_fffd]) {
      const a = newChachaState();
      chachaInit(a, KEY);
      a[12] = start;
      a[13] = 7;
      const b = a.slice();
      const bulk = new Uint8Array(64 * 5);
      chachaBlocks(a, bulk, 0, 5);
      const single = new Uint8Array(64 * 5);
      for (let i = 0; i < 5; i++) {
        chacha20Block(b, single, 64 * i);
        if (b[12] === 0) b[13] = (b[13]! + 1) >>> 0; // the kernel callers' carry
      }
      expect(toHex(bulk)).toBe(toHex(single));
      expect([...a]).toEqual([...b]);
    }
    const w = newChachaState();
    chachaInit(w, KEY);
    w[12] = 0xffff_fffe;
    chachaBlocks(w, new Uint8Array(192), 0, 3);
    expect([w[12], w[13]]).toEqual([1, 1]);
  });

  it("agrees with @noble/ciphers' chacha20 on random keys, counters and nonces, aligned or not", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 0xffff_ff00 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 3 }),
        (key, counter, nonce, n, skew) => {
          const st = newChachaState();
          chachaInit(st, key);
          const nv = new DataView(nonce.buffer);
          st[12] = counter;
          st[13] = nv.getUint32(0, true);
          st[14] = nv.getUint32(4, true);
          st[15] = nv.getUint32(8, true);
          const ours = new Uint8Array(64 * n + skew);
          chachaBlocks(st, ours, skew, n);
          const theirs = chacha20(key, nonce, new Uint8Array(64 * n), undefined, counter);
          expect(toHex(ours.subarray(skew))).toBe(toHex(theirs));
          expect(st[12]).toBe(counter + n);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("BLAKE2s (RFC 7693) through PoolHash / blake2sKeyed", () => {
  it('Appendix B: BLAKE2s-256("abc")', () => {
    const expected = "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982";
    const p = PoolHash.create();
    p.update(new TextEncoder().encode("abc"));
    expect(toHex(p.final())).toBe(expected);
    expect(toHex(blake2s256(new TextEncoder().encode("abc")))).toBe(expected);
  });

  // Keyed known-answer vectors from the BLAKE2 reference repository (testvectors/blake2s-test.txt):
  // key = 00..1f, input = 00..(n-1).
  const KAT: Array<[number, string]> = [
    [0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"],
    [1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"],
    [63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"],
    [64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"],
    [65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8"],
  ];
  it.each(KAT)("keyed KAT, %i-byte input, one-shot and streamed through PoolHash", (n, want) => {
    const input = Uint8Array.from({ length: n }, (_, i) => i);
    expect(toHex(blake2sKeyed(KEY, input, 32))).toBe(want);
    const p = PoolHash.create(KEY);
    for (let i = 0; i < n; i += 7) p.update(input.subarray(i, Math.min(n, i + 7)));
    expect(toHex(p.final())).toBe(want);
  });

  it("a short outlen is its own hash, not a prefix of the 32-byte one", () => {
    const a = blake2sKeyed(KEY, new Uint8Array(40), 8);
    const b = blake2sKeyed(KEY, new Uint8Array(40), 32);
    expect(a.length).toBe(8);
    expect(toHex(a)).not.toBe(toHex(b.subarray(0, 8)));
  });

  it("exportRaw/importRaw resumes a hash bit for bit at any split", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }), { nil: undefined }),
        (a, b, key) => {
          const p = PoolHash.create(key);
          p.update(a);
          const q = PoolHash.importRaw(structuredClone(p.exportRaw()));
          p.update(b);
          q.update(b);
          const ref = blake2s(new Uint8Array([...a, ...b]), key ? { key } : {});
          const pv = toHex(p.final());
          expect(toHex(q.final())).toBe(pv);
          expect(pv).toBe(toHex(ref));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("SipHash permutation (fast_mix)", () => {
  /** SipHash-2-4 built on sipPermute, checked against the paper's vectors. */
  function siphash24(key: Uint8Array, msg: Uint8Array): bigint {
    const dv = new DataView(key.buffer);
    const k0 = dv.getBigUint64(0, true);
    const k1 = dv.getBigUint64(8, true);
    const v = [
      k0 ^ SIPHASH_CONST_0,
      k1 ^ SIPHASH_CONST_1,
      k0 ^ SIPHASH_CONST_2,
      k1 ^ SIPHASH_CONST_3,
    ];
    const full = msg.length - (msg.length % 8);
    const absorb = (m: bigint) => {
      v[3] = v[3]! ^ m;
      sipPermute(v);
      sipPermute(v);
      v[0] = v[0]! ^ m;
    };
    for (let i = 0; i < full; i += 8) {
      absorb(new DataView(msg.buffer, msg.byteOffset + i, 8).getBigUint64(0, true));
    }
    let b = BigInt(msg.length & 0xff) << 56n;
    msg.subarray(full).forEach((x, i) => {
      b |= BigInt(x) << BigInt(8 * i);
    });
    absorb(b);
    v[2] = v[2]! ^ 0xffn;
    for (let i = 0; i < 4; i++) sipPermute(v);
    return v[0]! ^ v[1]! ^ v[2]! ^ v[3]!;
  }

  it("SipHash-2-4 paper vectors (key 00..0f)", () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(siphash24(key, new Uint8Array(0))).toBe(0x726fdb47dd0e0e31n);
    expect(
      siphash24(
        key,
        Uint8Array.from({ length: 15 }, (_, i) => i),
      ),
    ).toBe(0xa129ca6149be45e5n);
  });

  it("fast_mix absorbs v1 then v2, one permutation each", () => {
    const s = [1n, 2n, 3n, 4n];
    fastMix(s, 10n, 20n);
    const r = [1n, 2n, 3n, 4n ^ 10n];
    sipPermute(r);
    r[0] = r[0]! ^ 10n;
    r[3] = r[3]! ^ 20n;
    sipPermute(r);
    r[0] = r[0]! ^ 20n;
    expect(s).toEqual(r);
  });

  it("swab() of an unsigned long is a 64-bit byte swap", () => {
    expect(swab64(5n)).toBe(0x0500000000000000n);
    expect(swab64(0x0102030405060708n)).toBe(0x0807060504030201n);
    expect(swab64(BigInt.asUintN(64, -1n))).toBe((1n << 64n) - 1n);
  });
});
