import { readU32, readU64, writeU32, writeU64 } from "../bytes.js";
import { SD_OFF_LEN, SD_OFF_NEXT, SD_OFF_TYPE, SETUP_DATA_HEADER_SIZE } from "./bootparam.js";

/** One `struct setup_data { u64 next; u32 type; u32 len; u8 data[]; }` node, decoded. */
export interface SetupDataHeader {
  next: bigint;
  type: number;
  len: number;
}

/** Encodes a node (header + data) exactly as it sits in guest memory, little-endian. */
export function encodeSetupData(next: bigint, type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(SETUP_DATA_HEADER_SIZE + data.length);
  writeU64(out, SD_OFF_NEXT, next);
  writeU32(out, SD_OFF_TYPE, type);
  writeU32(out, SD_OFF_LEN, data.length);
  out.set(data, SETUP_DATA_HEADER_SIZE);
  return out;
}

export function decodeSetupDataHeader(b: Uint8Array): SetupDataHeader {
  return {
    next: readU64(b, SD_OFF_NEXT),
    type: readU32(b, SD_OFF_TYPE),
    len: readU32(b, SD_OFF_LEN),
  };
}
