import { PACKR_OPTIONS, UNPACKR_OPTIONS } from "@vmrng/wire";
import { type Options, Packr, Unpackr } from "msgpackr";

/**
 * The baseline's protocol: bare ws + msgpackr with the Link's MessagePack options, minus all the
 * Link adds (no handshake, no scan, no schema validation, no queue, no heartbeats) and minus the
 * device model (no avail ring, no limiter, no accounting). The guest names a descriptor and a
 * length; the server answers with that many bytes.
 */
export interface BareAvail {
  t: "avail";
  desc: number;
  len: number;
}
export interface BareUsed {
  t: "used";
  desc: number;
  data: Uint8Array;
}

export const barePackr = (): Packr => new Packr({ ...PACKR_OPTIONS });
export const bareUnpackr = (): Unpackr =>
  new Unpackr({ ...UNPACKR_OPTIONS, copyBuffers: false } satisfies Options);

/** Ports the device server listens on, printed as one JSON line on its stdout. */
export interface DeviceServerPorts {
  link: number;
  /** Guest id → its Link token. */
  tokens: Record<string, string>;
  /** Bare ws, bytes from a ChaCha DRBG like the device's (isolates the transport). */
  bare: number;
  /** Bare ws, bytes from node:crypto randomBytes (OpenSSL), for reference. */
  bareCrypto: number;
}

/** Guest ids the device server knows: QEMU's queue of 8 and Firecracker's of 256. */
export const RTT_GUEST = "bench-qemu";
export const BULK_GUEST = "bench-firecracker";
