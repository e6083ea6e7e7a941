import { Packr, Unpackr } from "msgpackr";
import type { Message } from "../catalogue/registry.js";
import { WireError } from "../errors.js";
import { type CodecLimits, resolveLimits } from "./limits.js";
import { PACKR_OPTIONS, UNPACKR_OPTIONS } from "./options.js";
import { scanFrame } from "./scan.js";
import { validateMessage } from "./validate.js";

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
