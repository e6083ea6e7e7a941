import { WireError } from "../errors.js";
import type { CodecLimits } from "./limits.js";

/**
 * A structural pass over MessagePack bytes that runs BEFORE msgpackr sees them. It reads only
 * headers and lengths (skipping payloads), so it allocates nothing, and it guarantees that the
 * decoder will then meet exactly one complete map with string keys, no extension types, no
 * never-used byte (0xc1), and every length within the limits. That closes the doors msgpackr
 * leaves open to an untrusted peer: ext types (records, timestamps, Error/RegExp/typed-array
 * extensions, structure definitions that would persist in the unpacker), `new Array(2^32-1)`
 * from a lying header, deep recursion, and `__proto__` keys.
 *
 * Format reference: the MessagePack spec (github.com/msgpack/msgpack/blob/master/spec.md).
 */
export function scanFrame(buf: Uint8Array, limits: Readonly<CodecLimits>): void {
  const first = buf[0];
  if (first === undefined) throw decodeError("empty frame");
  // fixmap 0x80-0x8f, map16 0xde, map32 0xdf
  if (!((first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf)) {
    throw decodeError(`frame is not a map (first byte 0x${hex(first)})`);
  }
  const end = scanValue(buf, 0, 1, limits);
  if (end !== buf.length) {
    throw decodeError(`${buf.length - end} trailing byte(s) after the message`);
  }
}

function scanValue(
  buf: Uint8Array,
  pos: number,
  depth: number,
  limits: Readonly<CodecLimits>,
): number {
  const len = buf.length;
  if (pos >= len) throw truncated(pos);
  const b = buf[pos]!;
  if (b <= 0x7f || b >= 0xe0) return pos + 1; // positive / negative fixint
  if (b <= 0x8f) return scanMap(buf, pos + 1, b & 0x0f, depth, limits);
  if (b <= 0x9f) return scanArray(buf, pos + 1, b & 0x0f, depth, limits);
  if (b <= 0xbf) return skipBytes(buf, pos + 1, b & 0x1f, limits.maxStringBytes, "string");
  switch (b) {
    case 0xc0: // nil
    case 0xc2: // false
    case 0xc3: // true
      return pos + 1;
    case 0xc4:
      return skipBytes(buf, pos + 2, readUint(buf, pos + 1, 1), limits.maxBinBytes, "binary");
    case 0xc5:
      return skipBytes(buf, pos + 3, readUint(buf, pos + 1, 2), limits.maxBinBytes, "binary");
    case 0xc6:
      return skipBytes(buf, pos + 5, readUint(buf, pos + 1, 4), limits.maxBinBytes, "binary");
    case 0xca: // float32
      return fixed(buf, pos, 5);
    case 0xcb: // float64
      return fixed(buf, pos, 9);
    case 0xcc: // uint8
    case 0xd0: // int8
      return fixed(buf, pos, 2);
    case 0xcd:
    case 0xd1:
      return fixed(buf, pos, 3);
    case 0xce:
    case 0xd2:
      return fixed(buf, pos, 5);
    case 0xcf: // uint64 / int64: decoded as bigint
    case 0xd3:
      return fixed(buf, pos, 9);
    case 0xd9:
      return skipBytes(buf, pos + 2, readUint(buf, pos + 1, 1), limits.maxStringBytes, "string");
    case 0xda:
      return skipBytes(buf, pos + 3, readUint(buf, pos + 1, 2), limits.maxStringBytes, "string");
    case 0xdb:
      return skipBytes(buf, pos + 5, readUint(buf, pos + 1, 4), limits.maxStringBytes, "string");
    case 0xdc:
      return scanArray(buf, pos + 3, readUint(buf, pos + 1, 2), depth, limits);
    case 0xdd:
      return scanArray(buf, pos + 5, readUint(buf, pos + 1, 4), depth, limits);
    case 0xde:
      return scanMap(buf, pos + 3, readUint(buf, pos + 1, 2), depth, limits);
    case 0xdf:
      return scanMap(buf, pos + 5, readUint(buf, pos + 1, 4), depth, limits);
    case 0xc1:
      throw decodeError(`never-used byte 0xc1 at offset ${pos}`);
    default:
      // 0xc7-0xc9 ext 8/16/32, 0xd4-0xd8 fixext: no extension type is part of the protocol.
      throw decodeError(`extension type (0x${hex(b)}) at offset ${pos} is not allowed`);
  }
}

function scanArray(
  buf: Uint8Array,
  pos: number,
  count: number,
  depth: number,
  limits: Readonly<CodecLimits>,
): number {
  if (depth > limits.maxDepth) throw decodeError(`nesting deeper than ${limits.maxDepth}`);
  if (count > limits.maxCollection) {
    throw decodeError(`array of ${count} items exceeds the limit of ${limits.maxCollection}`);
  }
  // every item takes at least one byte: a count the frame cannot hold is a lie, caught unallocated
  if (count > buf.length - pos) throw truncated(pos);
  let p = pos;
  for (let i = 0; i < count; i++) p = scanValue(buf, p, depth + 1, limits);
  return p;
}

function scanMap(
  buf: Uint8Array,
  pos: number,
  count: number,
  depth: number,
  limits: Readonly<CodecLimits>,
): number {
  if (depth > limits.maxDepth) throw decodeError(`nesting deeper than ${limits.maxDepth}`);
  if (count > limits.maxCollection) {
    throw decodeError(`map of ${count} entries exceeds the limit of ${limits.maxCollection}`);
  }
  if (count * 2 > buf.length - pos) throw truncated(pos);
  let p = pos;
  for (let i = 0; i < count; i++) {
    p = scanKey(buf, p, limits);
    p = scanValue(buf, p, depth + 1, limits);
  }
  return p;
}

/** Map keys must be strings (objects only, no Map) and never `__proto__`. */
function scanKey(buf: Uint8Array, pos: number, limits: Readonly<CodecLimits>): number {
  if (pos >= buf.length) throw truncated(pos);
  const b = buf[pos]!;
  let start: number;
  let n: number;
  if (b >= 0xa0 && b <= 0xbf) {
    start = pos + 1;
    n = b & 0x1f;
  } else if (b === 0xd9) {
    start = pos + 2;
    n = readUint(buf, pos + 1, 1);
  } else if (b === 0xda) {
    start = pos + 3;
    n = readUint(buf, pos + 1, 2);
  } else if (b === 0xdb) {
    start = pos + 5;
    n = readUint(buf, pos + 1, 4);
  } else {
    throw decodeError(`map key at offset ${pos} is not a string (0x${hex(b)})`);
  }
  const end = skipBytes(buf, start, n, limits.maxStringBytes, "string");
  if (n === 9 && isProtoKey(buf, start)) throw decodeError(`forbidden map key "__proto__"`);
  return end;
}

const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"
function isProtoKey(buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < 9; i++) if (buf[start + i] !== PROTO[i]) return false;
  return true;
}

function skipBytes(buf: Uint8Array, start: number, n: number, max: number, what: string): number {
  if (n > max) throw decodeError(`${what} of ${n} bytes exceeds the limit of ${max}`);
  const end = start + n;
  if (end > buf.length) throw truncated(start);
  return end;
}

function fixed(buf: Uint8Array, pos: number, size: number): number {
  const end = pos + size;
  if (end > buf.length) throw truncated(pos);
  return end;
}

function readUint(buf: Uint8Array, pos: number, size: 1 | 2 | 4): number {
  if (pos + size > buf.length) throw truncated(pos);
  if (size === 1) return buf[pos]!;
  if (size === 2) return (buf[pos]! << 8) | buf[pos + 1]!;
  return buf[pos]! * 0x1000000 + ((buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!);
}

function truncated(pos: number): WireError {
  return decodeError(`truncated frame (value at offset ${pos} runs past the end)`);
}

function decodeError(message: string): WireError {
  return new WireError("E_DECODE", message);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
