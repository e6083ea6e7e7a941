import { EGD_MAX_COUNT } from "./protocol.js";

/** Reply encoders, byte for byte as the protocol lays them out (see protocol.ts). */

/** 0x00: U32 big-endian, the bits a client can read without blocking (saturated). */
export function entropyLevelReply(bits: number): Uint8Array {
  const out = new Uint8Array(4);
  const v = Math.max(0, Math.min(0xffff_ffff, Math.floor(bits)));
  new DataView(out.buffer).setUint32(0, v, false);
  return out;
}

/** 0x01: U8 count, then the bytes. */
export function nonBlockingReply(bytes: Uint8Array): Uint8Array {
  if (bytes.length > EGD_MAX_COUNT) throw new RangeError(`count ${bytes.length} > 255`);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** 0x04: U8 length, then the pid in decimal ASCII, not NUL-terminated. */
export function pidReply(pid: number): Uint8Array {
  const text = new TextEncoder().encode(String(pid));
  const out = new Uint8Array(1 + text.length);
  out[0] = text.length;
  out.set(text, 1);
  return out;
}
