import { readU32, readU64, writeU32, writeU64 } from "../bytes.js";
import { GuestMemoryError } from "../errors.js";

const PAGE_SIZE = 4096;
const PAGE_SHIFT = 12n;

/**
 * Sparse guest-physical RAM: [0, size) backed by 4 KiB pages allocated on first write, reading
 * zeros elsewhere (fresh RAM). Every access is bounds-checked, so a hostile pointer in a
 * setup_data list yields a typed error instead of a crash or a huge allocation.
 */
export class GuestMemory {
  private readonly pages = new Map<number, Uint8Array>();

  constructor(readonly size: bigint) {
    if (size <= 0n || size % BigInt(PAGE_SIZE) !== 0n || size > 1n << 52n) {
      throw new GuestMemoryError(
        "BAD_SIZE",
        `guest RAM size must be a positive multiple of 4096 below 2^52, got ${size}`,
      );
    }
  }

  /** True when [addr, addr+len) lies inside RAM. */
  contains(addr: bigint, len: number | bigint): boolean {
    const l = BigInt(len);
    return addr >= 0n && l >= 0n && addr + l <= this.size;
  }

  private check(addr: bigint, len: number): void {
    if (!Number.isInteger(len) || len < 0) {
      throw new GuestMemoryError("BAD_LENGTH", `bad access length ${len}`);
    }
    if (!this.contains(addr, len)) {
      throw new GuestMemoryError(
        "OUT_OF_RANGE",
        `guest-physical access [0x${addr.toString(16)}, +${len}) outside RAM of ${this.size} bytes`,
      );
    }
  }

  read(addr: bigint, len: number): Uint8Array {
    this.check(addr, len);
    const out = new Uint8Array(len);
    let done = 0;
    let a = addr;
    while (done < len) {
      const pfn = Number(a >> PAGE_SHIFT);
      const off = Number(a & 0xfffn);
      const n = Math.min(PAGE_SIZE - off, len - done);
      const page = this.pages.get(pfn);
      if (page) out.set(page.subarray(off, off + n), done);
      done += n;
      a += BigInt(n);
    }
    return out;
  }

  write(addr: bigint, bytes: Uint8Array): void {
    this.check(addr, bytes.length);
    let done = 0;
    let a = addr;
    while (done < bytes.length) {
      const pfn = Number(a >> PAGE_SHIFT);
      const off = Number(a & 0xfffn);
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      let page = this.pages.get(pfn);
      if (!page) {
        page = new Uint8Array(PAGE_SIZE);
        this.pages.set(pfn, page);
      }
      page.set(bytes.subarray(done, done + n), off);
      done += n;
      a += BigInt(n);
    }
  }

  /** memzero_explicit() over guest memory. */
  zero(addr: bigint, len: number): void {
    this.write(addr, new Uint8Array(len));
  }

  readU32(addr: bigint): number {
    return readU32(this.read(addr, 4), 0);
  }

  readU64(addr: bigint): bigint {
    return readU64(this.read(addr, 8), 0);
  }

  writeU32(addr: bigint, v: number): void {
    const b = new Uint8Array(4);
    writeU32(b, 0, v);
    this.write(addr, b);
  }

  writeU64(addr: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    writeU64(b, 0, v);
    this.write(addr, b);
  }

  /** Pages actually backed (for tests: a hostile pointer must not allocate). */
  get backedPages(): number {
    return this.pages.size;
  }
}
