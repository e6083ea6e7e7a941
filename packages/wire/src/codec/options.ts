import type { Options } from "msgpackr";

// A module of its own (package export @vmrng/wire/codec-options) so that a process can speak
// the Link's MessagePack without loading the catalogue: the devices bench's start-up floor does.

/**
 * msgpackr options, fixed for untrusted peers:
 * - useRecords: false → objects travel as plain MessagePack maps. Record structures are state
 *   shared between an encoder and a decoder; across peers that would let one connection's
 *   definitions shape how another's frames decode (and they would go stale on reconnect). The
 *   scanner additionally refuses the record extension, so no structure can enter the unpacker.
 * - mapsAsObjects: true → maps decode to plain objects (keys are checked to be strings first).
 * - int64AsType: "bigint" → uint64/int64 decode as bigint, so u64 > 2^53 is exact; msgpackr
 *   writes every bigint as int64/uint64, so bigints round-trip as bigints, small ones included.
 * - moreTypes / structuredClone / bundleStrings: off → no extension types are produced.
 * - no skipValues: the validator already returns a copy without `undefined` fields when a
 *   caller set an optional one to undefined, so the encoder never meets one (and stays on
 *   msgpackr's fast object path; skipValues costs a per-key scan on every message).
 * - copyBuffers: true, fed a plain Uint8Array view → every decoded binary is a plain Uint8Array
 *   with its own ArrayBuffer: nothing aliases the receive buffer.
 * - useToJSON: false → an object's own fields are encoded, never a toJSON() projection.
 */
export const PACKR_OPTIONS: Readonly<Options> = Object.freeze({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  useToJSON: false,
});

export const UNPACKR_OPTIONS: Readonly<Options> = Object.freeze({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: "bigint",
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  copyBuffers: true,
});
