import type { VirtioRngDriver } from "@vmrng/devices";
import { GuestSyscallError } from "./errors.js";

/** rng_buffer_size(): max(32, SMP_CACHE_BYTES) = 64 on x86-64 (drivers/char/hw_random/core.c). */
const RNG_BUFFER_SIZE = 64;

interface Reader {
  remaining: number;
  chunks: Uint8Array[];
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * /dev/hwrng: rng_dev_read() of drivers/char/hw_random/core.c. Raw bytes from the current
 * hwrng (virtio-rng), not the CRNG. It refills its own rng_buffer with a 64-byte
 * rng_get_data() and hands out from the end of it (`rng_buffer + data_avail`).
 *
 * Blocking readers queue behind reading_mutex and wait inside virtio_read(wait=1) until the
 * buffer is full. The hwrng kthread shares that mutex and the device's data[]: while it is
 * blocked in its own read it holds the mutex and gets the bytes first, so /dev/hwrng readers
 * are served once it sleeps (after crediting, add_hwgenerator_randomness() puts it to sleep for
 * a reseed interval once the CRNG is ready). A non-blocking read while a blocking one holds
 * the mutex gets EAGAIN here (Linux would sleep on the mutex).
 */
export class HwrngDevice {
  private readonly rngBuffer = new Uint8Array(RNG_BUFFER_SIZE);
  private dataAvail = 0;
  /** Bytes a blocked virtio_read() has already copied into rng_buffer. */
  private fillPos = 0;
  private readonly readers: Reader[] = [];

  constructor(private readonly driver: () => VirtioRngDriver | null) {}

  readNonblock(len: number): Uint8Array {
    const drv = this.driver();
    if (!drv?.isRegistered) throw new GuestSyscallError("ENODEV", "/dev/hwrng: no current hwrng");
    if (this.readers.length > 0) {
      throw new GuestSyscallError("EAGAIN", "/dev/hwrng: reading_mutex held by a blocked reader");
    }
    const chunks: Uint8Array[] = [];
    let remaining = len;
    while (remaining > 0) {
      if (this.dataAvail === 0) {
        const got = drv.readAvailable(RNG_BUFFER_SIZE);
        this.rngBuffer.set(got);
        this.dataAvail = got.length;
        if (got.length === 0) break;
      }
      remaining -= this.take(remaining, chunks);
    }
    if (remaining === len && len > 0) {
      throw new GuestSyscallError("EAGAIN", "/dev/hwrng: no data available (O_NONBLOCK)");
    }
    return concat(chunks);
  }

  readBlocking(len: number): Promise<Uint8Array> {
    const drv = this.driver();
    if (!drv?.isRegistered) {
      return Promise.reject(new GuestSyscallError("ENODEV", "/dev/hwrng: no current hwrng"));
    }
    return new Promise((resolve, reject) => {
      this.readers.push({ remaining: len, chunks: [], resolve, reject });
      this.service();
    });
  }

  /** Feed queued readers from what the device delivered; call after every delivery. */
  service(): void {
    const drv = this.driver();
    while (this.readers.length > 0) {
      const r = this.readers[0]!;
      if (!drv?.isRegistered) {
        this.readers.shift();
        r.reject(new GuestSyscallError("ENODEV", "/dev/hwrng: hwrng went away"));
        continue;
      }
      while (r.remaining > 0) {
        if (this.dataAvail === 0) {
          const got = drv.readAvailable(RNG_BUFFER_SIZE - this.fillPos);
          this.rngBuffer.set(got, this.fillPos);
          this.fillPos += got.length;
          if (this.fillPos < RNG_BUFFER_SIZE) return; // still in wait_for_completion()
          this.dataAvail = RNG_BUFFER_SIZE;
          this.fillPos = 0;
        }
        r.remaining -= this.take(r.remaining, r.chunks);
      }
      this.readers.shift();
      r.resolve(concat(r.chunks));
    }
  }

  /** Readers blocked in rng_dev_read(). */
  get waiting(): number {
    return this.readers.length;
  }

  /** The kernel died or the device was removed: fail every blocked reader. */
  abort(e: Error): void {
    for (const r of this.readers.splice(0)) r.reject(e);
  }

  private take(want: number, chunks: Uint8Array[]): number {
    const n = Math.min(want, this.dataAvail);
    this.dataAvail -= n;
    chunks.push(this.rngBuffer.slice(this.dataAvail, this.dataAvail + n));
    this.rngBuffer.fill(0, this.dataAvail, this.dataAvail + n);
    return n;
  }
}
