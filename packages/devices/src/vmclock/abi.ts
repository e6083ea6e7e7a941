import { readU16, readU32, readU64, writeU16, writeU32, writeU64 } from "../bytes.js";

/**
 * struct vmclock_abi (include/uapi/linux/vmclock-abi.h), little-endian, naturally aligned:
 *   0 magic u32 ("VCLK" 0x4b4c4356)   4 size u32   8 version u16 (1)   10 counter_id u8
 *   11 time_type u8   12 seq_count u32 (odd = update in progress)   16 disruption_marker u64
 *   24 flags u64   32 pad[2]   34 clock_status u8   35 leap_second_smearing_hint u8
 *   36 tai_offset_sec u16   38 leap_indicator u8   39 counter_period_shift u8
 *   40 counter_value   48 counter_period_frac_sec   56/64 period error rates
 *   72 time_sec   80 time_frac_sec   88 time_esterror_nanosec   96 time_maxerror_nanosec
 *   104 vm_generation_counter u64 -> 112 bytes.
 */
export const VMCLOCK_MAGIC = 0x4b4c4356;
export const VMCLOCK_VERSION = 1;
export const VMCLOCK_ABI_SIZE = 112;
/** The structure should sit in a full page so it can be mapped to userspace. */
export const VMCLOCK_REGION_SIZE = 4096;

export const VMCLOCK_OFF_MAGIC = 0;
export const VMCLOCK_OFF_SIZE = 4;
export const VMCLOCK_OFF_VERSION = 8;
export const VMCLOCK_OFF_COUNTER_ID = 10;
export const VMCLOCK_OFF_TIME_TYPE = 11;
export const VMCLOCK_OFF_SEQ_COUNT = 12;
export const VMCLOCK_OFF_DISRUPTION_MARKER = 16;
export const VMCLOCK_OFF_FLAGS = 24;
export const VMCLOCK_OFF_CLOCK_STATUS = 34;
export const VMCLOCK_OFF_VM_GENERATION_COUNTER = 104;

export const VMCLOCK_COUNTER_INVALID = 0xff;
export const VMCLOCK_TIME_MONOTONIC = 2;
export const VMCLOCK_STATUS_UNKNOWN = 0;
/** VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT: vm_generation_counter is bumped on every restore. */
export const VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT = 1n << 8n;

export interface VmClockFields {
  seqCount: number;
  disruptionMarker: bigint;
  flags: bigint;
  vmGenerationCounter: bigint;
}

export function encodeVmClockPage(f: VmClockFields): Uint8Array {
  const p = new Uint8Array(VMCLOCK_REGION_SIZE);
  writeU32(p, VMCLOCK_OFF_MAGIC, VMCLOCK_MAGIC);
  writeU32(p, VMCLOCK_OFF_SIZE, VMCLOCK_REGION_SIZE);
  writeU16(p, VMCLOCK_OFF_VERSION, VMCLOCK_VERSION);
  // Only the generation counter is offered: no counter/time relationship.
  p[VMCLOCK_OFF_COUNTER_ID] = VMCLOCK_COUNTER_INVALID;
  p[VMCLOCK_OFF_TIME_TYPE] = VMCLOCK_TIME_MONOTONIC;
  p[VMCLOCK_OFF_CLOCK_STATUS] = VMCLOCK_STATUS_UNKNOWN;
  writeU32(p, VMCLOCK_OFF_SEQ_COUNT, f.seqCount);
  writeU64(p, VMCLOCK_OFF_DISRUPTION_MARKER, f.disruptionMarker);
  writeU64(p, VMCLOCK_OFF_FLAGS, f.flags);
  writeU64(p, VMCLOCK_OFF_VM_GENERATION_COUNTER, f.vmGenerationCounter);
  return p;
}

export interface VmClockHeader {
  magic: number;
  size: number;
  version: number;
  seqCount: number;
  flags: bigint;
  vmGenerationCounter: bigint;
}

export function decodeVmClockPage(p: Uint8Array): VmClockHeader | null {
  if (p.length < VMCLOCK_ABI_SIZE) return null;
  return {
    magic: readU32(p, VMCLOCK_OFF_MAGIC),
    size: readU32(p, VMCLOCK_OFF_SIZE),
    version: readU16(p, VMCLOCK_OFF_VERSION),
    seqCount: readU32(p, VMCLOCK_OFF_SEQ_COUNT),
    flags: readU64(p, VMCLOCK_OFF_FLAGS),
    vmGenerationCounter: readU64(p, VMCLOCK_OFF_VM_GENERATION_COUNTER),
  };
}
