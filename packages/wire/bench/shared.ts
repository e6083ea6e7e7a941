import { type Options, Packr, Unpackr } from "msgpackr";
import { PACKR_OPTIONS, UNPACKR_OPTIONS } from "../src/index.js";

/** Frame limit for both sides of the benchmark (64 KiB payloads fit with room to spare). */
export const MAX_FRAME = 2 * 1024 * 1024;

/**
 * The baseline speaks bare ws + msgpackr with the same MessagePack options as the Link (maps,
 * bigint int64), minus everything the Link adds: no scan, no validation, no binary copy, no
 * heartbeats, no queue; correlation is a bare Map of resolvers.
 */
export function barePackr(): Packr {
  return new Packr({ ...PACKR_OPTIONS });
}

export function bareUnpackr(): Unpackr {
  const options: Options = { ...UNPACKR_OPTIONS, copyBuffers: false };
  return new Unpackr(options);
}

export interface BareEcho {
  t: "echo" | "echo.reply";
  id?: number;
  re?: number;
  data: Uint8Array;
}
