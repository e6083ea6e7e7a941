import { blake2s } from "@noble/hashes/blake2.js";
import { hmac } from "@noble/hashes/hmac.js";

/** NOISE_HASH_LEN = NOISE_SYMMETRIC_KEY_LEN = 32 (drivers/net/wireguard/noise.h). */
export const NOISE_KEY_LEN = 32;

/** The construction name WireGuard hashes into its initial chaining key (noise.c wg_noise_init). */
const HANDSHAKE_NAME = new TextEncoder().encode("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s");

/** handshake_init_chaining_key = BLAKE2s(handshake_name) (noise.c wg_noise_init). */
export const INITIAL_CHAINING_KEY: Uint8Array = blake2s(HANDSHAKE_NAME, { dkLen: NOISE_KEY_LEN });

const hmacBlake2s = (key: Uint8Array, data: Uint8Array) => hmac(blake2s, key, data);

/**
 * kdf() of noise.c: HKDF (RFC 5869) over HMAC-BLAKE2s. secret = HMAC(ck, data);
 * T1 = HMAC(secret, 0x1); T2 = HMAC(secret, T1 || 0x2). Returns [T1, T2].
 */
export function kdf2(chainingKey: Uint8Array, data: Uint8Array): [Uint8Array, Uint8Array] {
  const secret = hmacBlake2s(chainingKey, data);
  const t1 = hmacBlake2s(secret, Uint8Array.of(1));
  const in2 = new Uint8Array(NOISE_KEY_LEN + 1);
  in2.set(t1);
  in2[NOISE_KEY_LEN] = 2;
  const t2 = hmacBlake2s(secret, in2);
  return [t1, t2];
}

/** A key's public name: BLAKE2s with an 8-byte digest, hex (never the key itself). */
export function keyFingerprint(key: Uint8Array): string {
  return Buffer.from(blake2s(key, { dkLen: 8 })).toString("hex");
}
