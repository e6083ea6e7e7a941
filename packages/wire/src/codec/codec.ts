import { type Options, Packr, Unpackr } from "msgpackr";
import type { Message } from "../catalogue/registry.js";
import { WireError } from "../errors.js";
import { type CodecLimits, resolveLimits } from "./limits.js";
import { scanFrame } from "./scan.js";
import { validateMessage } from "./validate.js";

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

/**
 * Encodes and decodes protocol frames: one MessagePack map per frame, validated against the
 * catalogue on both paths. Each connection gets its own Codec (no state is shared, and none can
 * be planted: see PACKR_OPTIONS). Errors are WireErrors: E_FRAME_TOO_LARGE (checked before any
 * decoding), E_DECODE, E_SCHEMA, E_UNKNOWN_TYPE.
 */
export class Codec {
  readonly limits: Readonly<CodecLimits>;
  readonly #packr: Packr;
  readonly #unpackr: Unpackr;

  constructor(limits: Partial<CodecLimits> = {}) {
    this.limits = resolveLimits(limits);
    this.#packr = new Packr({ ...PACKR_OPTIONS });
    this.#unpackr = new Unpackr({ ...UNPACKR_OPTIONS });
  }

  /**
   * Validates `msg` and encodes it. The frame is also held to the limits a peer would apply, so
   * a sender learns about an unacceptable message here rather than from the peer. The returned
   * bytes stay valid (msgpackr never reuses a region it handed out).
   */
  encode(msg: Message): Uint8Array {
    const checked = validateMessage(msg, { dropUndefined: true });
    let frame: Uint8Array;
    try {
      frame = this.#packr.pack(checked);
    } catch (cause) {
      throw new WireError("E_SCHEMA", `${msg.t}: cannot encode: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (frame.byteLength > this.limits.maxFrameBytes) {
      throw tooLarge(frame.byteLength, this.limits.maxFrameBytes);
    }
    scanFrame(frame, this.limits);
    return frame;
  }

  /** Decodes one frame: size check, structural scan, msgpackr, then schema validation. */
  decode(frame: Uint8Array): Message {
    if (frame.byteLength > this.limits.maxFrameBytes) {
      throw tooLarge(frame.byteLength, this.limits.maxFrameBytes);
    }
    scanFrame(frame, this.limits);
    // A plain view (not a Buffer) makes copyBuffers yield plain, unaliased Uint8Arrays.
    const view = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
    let value: unknown;
    try {
      value = this.#unpackr.unpack(view);
    } catch (cause) {
      throw new WireError("E_DECODE", `undecodable frame: ${(cause as Error).message}`, { cause });
    }
    return validateMessage(value, { normalise: true });
  }
}

function tooLarge(size: number, max: number): WireError {
  return new WireError("E_FRAME_TOO_LARGE", `frame of ${size} bytes exceeds the limit of ${max}`);
}
