import type { RawData } from "ws";

/** The protocol version this build speaks natively. Bump it when a message changes shape. */
export const PROTOCOL_VERSION = 1;

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** The versions this build can speak (both ends advertise a range; the highest common wins). */
export const SUPPORTED_VERSIONS: VersionRange = Object.freeze({
  min: PROTOCOL_VERSION,
  max: PROTOCOL_VERSION,
});

/** The highest version in both ranges, or undefined when they do not overlap (or are inverted). */
export function negotiateVersion(ours: VersionRange, theirs: VersionRange): number | undefined {
  if (ours.min > ours.max || theirs.min > theirs.max) return undefined;
  const hi = Math.min(ours.max, theirs.max);
  const lo = Math.max(ours.min, theirs.min);
  return hi >= lo ? hi : undefined;
}

export function checkRange(range: VersionRange): VersionRange {
  if (
    !Number.isInteger(range.min) ||
    !Number.isInteger(range.max) ||
    range.min < 1 ||
    range.max > 0xffff ||
    range.min > range.max
  ) {
    throw new RangeError(`invalid protocol version range ${range.min}..${range.max}`);
  }
  return range;
}

/** ws delivers Buffer, ArrayBuffer or fragments depending on binaryType; we always want bytes. */
export function rawToBytes(data: RawData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}

/** RFC 6455 §5.5: a close frame's reason must fit in 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let r = text.slice(0, 123);
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
