/**
 * The EGD (Entropy Gathering Daemon) wire protocol, as egd.pl 0.9 defined it and ekeyd's
 * README.egd-protocol documents it: a byte-oriented request/reply protocol over a stream socket,
 * always started by the client; multi-byte values are network byte order (big-endian).
 *
 *   0x00                      entropy level      → U32 bits available
 *   0x01 U8 n                 read, non-blocking → U8 count, then count bytes (count ≤ n)
 *   0x02 U8 n                 read, blocking     → exactly n bytes, no count byte
 *   0x03 U16 bits U8 n n×U8   add entropy        → no reply
 *   0x04                      daemon pid         → U8 length, then the pid as ASCII
 *
 * QEMU's rng-egd backend (backends/rng-egd.c, rng_egd_request_entropy) only ever sends 0x02,
 * splitting each virtio request into `[0x02, MIN(size, 255)]` headers written back to back;
 * rng_egd_chr_can_read lets in only as many bytes as its queued requests still lack, and
 * rng_egd_chr_read copies them into those requests in order, with no framing: one byte too many
 * or too few shifts every later request.
 */
export const EGD_GET_ENTROPY_LEVEL = 0x00;
export const EGD_READ_NONBLOCKING = 0x01;
export const EGD_READ_BLOCKING = 0x02;
export const EGD_WRITE_ENTROPY = 0x03;
export const EGD_GET_PID = 0x04;

/** A count is one byte: no request or reply carries more than 255 data bytes. */
export const EGD_MAX_COUNT = 255;
/** The longest request: 0x03, U16 bits, U8 n, 255 bytes. */
export const EGD_MAX_REQUEST_BYTES = 1 + 2 + 1 + EGD_MAX_COUNT;

export type EgdRequest =
  | { kind: "level" }
  | { kind: "read-nonblocking"; n: number }
  | { kind: "read-blocking"; n: number }
  /** `shannons` is the client's claim of entropy, which the host never credits. */
  | { kind: "write"; shannons: number; data: Uint8Array }
  | { kind: "pid" };

export const commandName = (cmd: number): string =>
  [
    "0x00 entropy level",
    "0x01 non-blocking read",
    "0x02 blocking read",
    "0x03 add entropy",
    "0x04 pid",
  ][cmd] ?? `0x${cmd.toString(16).padStart(2, "0")}`;
