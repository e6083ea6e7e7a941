import { blake2sKeyed, chacha20Block, chachaInit, newChachaState } from "@vmrng/crng";

/** The channels a malicious hypervisor controls. */
export type AttackerChannel = "seed" | "virtio" | "msr" | "vmgenid";

const encoder = new TextEncoder();
/** Public: the point is that anyone can recompute the attacker's bytes. */
const ATTACKER_DOMAIN = encoder.encode("vmrng.faults.attacker.v1");

const keys = new Map<AttackerChannel, Uint8Array>();
function channelKey(channel: AttackerChannel): Uint8Array {
  let k = keys.get(channel);
  if (k === undefined) {
    k = blake2sKeyed(ATTACKER_DOMAIN, encoder.encode(channel), 32);
    keys.set(channel, k);
  }
  return k;
}

/**
 * The bytes a malicious hypervisor hands over on `channel` for its `counter`-th answer: the
 * ChaCha20 keystream under the public key BLAKE2s("vmrng.faults.attacker.v1"; channel), with
 * `counter` as the 64-bit nonce (x[14..15]). They look random, and are not: a test (or an
 * attacker) recomputes them from (channel, n, counter) and proves a guest served them.
 */
export function attackerBytes(channel: AttackerChannel, n: number, counter: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`attackerBytes: bad length ${n}`);
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`attackerBytes: bad counter ${counter}`);
  }
  const state = newChachaState();
  chachaInit(state, channelKey(channel));
  state[14] = counter >>> 0;
  state[15] = Math.floor(counter / 2 ** 32) >>> 0;
  const blocks = Math.ceil(n / 64);
  const buf = new Uint8Array(blocks * 64);
  for (let b = 0; b < blocks; b++) chacha20Block(state, buf, b * 64);
  return buf.subarray(0, n);
}

/** attackerBytes(channel, 8, counter) as a little-endian u64 (an MSR value). */
export function attackerU64(channel: AttackerChannel, counter: number): bigint {
  const b = attackerBytes(channel, 8, counter);
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
