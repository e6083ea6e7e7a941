import type { Clock } from "@vmrng/crng";
import { DeviceConfigError } from "../errors.js";
import type { EntropySink } from "../sink.js";
import {
  EARLY_READ_BYTES,
  earlyCreditBits,
  effectiveQuality,
  fillCredit,
  HWRNG_EMPTY_READ_SLEEP_MS,
  rngBufferSize,
} from "./hwrng.js";

export type VirtioRngDriverAction =
  /** virtqueue_add_inbuf(data, 64) + virtqueue_kick(): send this buffer to the device. */
  | { kind: "post"; id: number; len: number }
  /** The hwrng kthread is blocked on have_data; call onUsed() (or next() after `deadline`). */
  | { kind: "wait"; id: number | null; deadline: number | null }
  /** The kthread sleeps; call next() again at `untilMs`. */
  | { kind: "sleep"; ms: number; untilMs: number }
  /** Not registered (or removed): nothing runs. */
  | { kind: "idle" };

export type VirtioRngDriverErrorCode =
  | "unknown-descriptor"
  | "duplicate-used"
  | "late-used"
  | "used-len-overflow"
  | "empty-used"
  | "timeout"
  | "ring-exhausted";

export type VirtioRngDriverEvent =
  | { kind: "early-randomness"; bytes: number; creditedBits: number }
  | { kind: "credit"; bytes: number; creditedBits: number; sleepMs: number }
  | { kind: "empty-read"; sleepMs: number }
  | { kind: "driver-error"; code: VirtioRngDriverErrorCode; id: number | null; message: string };

export interface VirtioRngDriverOptions {
  sink: EntropySink;
  clock: Clock;
  /** The ring size the device advertises (8 QEMU, 256 Firecracker). */
  queueSize: number;
  /** hwrng.quality set by the driver; virtio-rng.c sets none (0). */
  quality?: number;
  /** hw_random.default_quality module parameter (1024 in 6.x). */
  defaultQuality?: number;
  /**
   * Give up on a posted buffer after this long and post a fresh one. Linux waits forever
   * (wait_for_completion_killable); Infinity reproduces that.
   */
  requestTimeoutMs?: number;
}

interface Outstanding {
  id: number;
  deadline: number | null;
}

/**
 * The guest side: Linux virtio-rng.c (6.x, one 64-byte data[] buffer always posted) driven by
 * the hw_random core (add_early_randomness on register, then the hwrng_fillfn kthread).
 * A process steps it: next() says what to do (post a buffer, wait, sleep), onUsed() delivers
 * the device's answer, drainEvents() returns credits and driver errors.
 *
 * Malformed answers (unknown head, a head answered twice, an answer after we gave up, a used
 * length beyond the buffer, an empty answer) become driver-error events and the machine keeps
 * running. Two deliberate deviations, both so it stays usable: after an empty used buffer we
 * post a new one (Linux leaves nothing posted and its kthread blocks forever), and heads are
 * allocated round-robin so a late or duplicated answer is recognisable.
 */
export class VirtioRngDriver {
  readonly quality: number;
  readonly queueSize: number;
  private readonly sink: EntropySink;
  private readonly clock: Clock;
  private readonly bufSize = rngBufferSize();
  private readonly timeoutMs: number;

  // virtrng_info: data[], data_avail, data_idx, and the one posted request.
  private readonly data: Uint8Array;
  private dataAvail = 0;
  private dataIdx = 0;
  private outstanding: Outstanding | null = null;
  private emptyCompletion = false;
  private readonly freeHeads: number[];
  private readonly abandoned = new Set<number>();
  private readonly recentlyUsed = new Set<number>();
  private exhaustedReported = false;
  private probed = false;
  private registered = false;

  // hwrng_fillfn state.
  private readonly fill: Uint8Array;
  private fillRead = 0;
  private entropyCredit = 0;
  private sleepUntil: number | null = null;

  private readonly posts: VirtioRngDriverAction[] = [];
  private events: VirtioRngDriverEvent[] = [];

  constructor(opts: VirtioRngDriverOptions) {
    if (!Number.isInteger(opts.queueSize) || opts.queueSize < 1) {
      throw new DeviceConfigError("BAD_QUEUE_SIZE", `queue size ${opts.queueSize}`);
    }
    const q = opts.quality ?? 0;
    const dq = opts.defaultQuality ?? 1024;
    if (!Number.isInteger(q) || q < 0 || q > 1024 || !Number.isInteger(dq) || dq < 0) {
      throw new DeviceConfigError("BAD_QUALITY", `quality ${q} / default_quality ${dq}`);
    }
    this.quality = effectiveQuality(q, dq);
    this.queueSize = opts.queueSize;
    this.sink = opts.sink;
    this.clock = opts.clock;
    this.timeoutMs = opts.requestTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.data = new Uint8Array(this.bufSize);
    this.fill = new Uint8Array(this.bufSize);
    this.freeHeads = Array.from({ length: opts.queueSize }, (_, i) => i);
  }

  /** probe_common(): find the queue, DRIVER_OK, and "we always have a pending entropy request". */
  probe(): void {
    if (this.probed) return;
    this.probed = true;
    this.requestEntropy();
  }

  /**
   * virtrng_scan() -> hwrng_register(): becomes current_rng, starts the hwrng kthread, and
   * add_early_randomness() does a non-blocking 32-byte read. Since "hw_random: use
   * add_hwgenerator_randomness() for early entropy" (6.2) that read is credited at
   * bytes*8*quality/1024 when the device has already answered; if not, it reads nothing.
   */
  register(): void {
    if (!this.probed) this.probe();
    if (this.registered) return;
    this.registered = true;
    const got = this.copyData(this.fill, 0, EARLY_READ_BYTES);
    if (got > 0) {
      const bits = earlyCreditBits(got, this.quality);
      this.sink.addHwgeneratorRandomness(this.fill.slice(0, got), bits, false);
      this.events.push({ kind: "early-randomness", bytes: got, creditedBits: bits });
    } else {
      this.events.push({ kind: "early-randomness", bytes: 0, creditedBits: 0 });
    }
    this.fill.fill(0);
  }

  /** remove_common(): device reset; in-flight buffers are dropped, nothing runs. */
  remove(): void {
    this.registered = false;
    this.probed = false;
    this.dataAvail = 0;
    this.dataIdx = 0;
    this.data.fill(0);
    this.outstanding = null;
    this.emptyCompletion = false;
    this.abandoned.clear();
    this.recentlyUsed.clear();
    this.freeHeads.splice(0, this.freeHeads.length, ...this.allHeads());
    this.exhaustedReported = false;
    this.posts.length = 0;
    this.fillRead = 0;
    this.sleepUntil = null;
  }

  private allHeads(): number[] {
    return Array.from({ length: this.queueSize }, (_, i) => i);
  }

  /** random_recv_done(): the device put `bytes` in the used ring under head `id`. */
  onUsed(id: number, bytes: Uint8Array): void {
    const err = (code: VirtioRngDriverErrorCode, message: string): void => {
      this.events.push({ kind: "driver-error", code, id, message });
    };
    if (this.outstanding && this.outstanding.id === id) {
      let n = bytes.length;
      if (n > this.bufSize) {
        // 6.x copy_data() clamps data_avail to sizeof(vi->data) against a lying device.
        err("used-len-overflow", `used.len ${n} > buffer ${this.bufSize}; clamped`);
        n = this.bufSize;
      }
      this.data.set(bytes.subarray(0, n));
      this.dataAvail = n;
      this.dataIdx = 0;
      this.outstanding = null;
      this.releaseHead(id);
      this.recentlyUsed.add(id);
      if (n === 0) {
        this.emptyCompletion = true;
        err("empty-used", "device used the buffer with 0 bytes; posting a new one");
        this.requestEntropy();
      }
      return;
    }
    if (this.abandoned.has(id)) {
      this.abandoned.delete(id);
      this.releaseHead(id);
      err("late-used", `answer for head ${id} after its timeout; discarded`);
      return;
    }
    if (this.recentlyUsed.has(id)) {
      err("duplicate-used", `head ${id} was already used; discarded`);
      return;
    }
    err("unknown-descriptor", `head ${id} was never posted; discarded`);
  }

  /**
   * virtio_read(rng, buf, size, wait = 0) from the other hw_random reader, rng_dev_read()
   * (/dev/hwrng): up to `max` bytes of what data[] holds right now, never waiting. Draining
   * data[] posts it again (copy_data -> request_entropy); next() returns that post. Nothing
   * while not registered (no current_rng).
   */
  readAvailable(max: number): Uint8Array {
    if (!Number.isInteger(max) || max < 0) {
      throw new DeviceConfigError("BAD_LENGTH", `read of ${max} bytes`);
    }
    if (!this.registered) return new Uint8Array(0);
    const out = new Uint8Array(Math.min(max, this.dataAvail));
    const n = this.copyData(out, 0, out.length);
    return out.subarray(0, n);
  }

  /** Whether hwrng_register() ran (and remove() did not): the hwrng is current_rng. */
  get isRegistered(): boolean {
    return this.registered;
  }

  /** Advance the hwrng kthread as far as it can go without the device. */
  next(): VirtioRngDriverAction {
    for (;;) {
      const post = this.posts.shift();
      if (post) return post;
      if (!this.registered) return { kind: "idle" };
      const now = this.clock.now();
      if (this.sleepUntil !== null) {
        if (now < this.sleepUntil) {
          return { kind: "sleep", ms: this.sleepUntil - now, untilMs: this.sleepUntil };
        }
        this.sleepUntil = null;
      }
      // virtio_read(rng, fillbuf, rng_buffer_size(), wait = 1)
      let ended = false;
      while (this.fillRead < this.bufSize) {
        if (this.dataAvail > 0) {
          this.fillRead += this.copyData(this.fill, this.fillRead, this.bufSize - this.fillRead);
          continue;
        }
        if (this.emptyCompletion) {
          // "if vi->data_avail is 0 ... return read"
          this.emptyCompletion = false;
          ended = true;
          break;
        }
        const o = this.outstanding;
        if (o && o.deadline !== null && now >= o.deadline) {
          this.abandoned.add(o.id);
          this.outstanding = null;
          this.events.push({
            kind: "driver-error",
            code: "timeout",
            id: o.id,
            message: `no answer for head ${o.id} within ${this.timeoutMs} ms; posting a new buffer`,
          });
          this.requestEntropy();
          break;
        }
        if (!this.outstanding) this.requestEntropy();
        break;
      }
      if (this.fillRead < this.bufSize && !ended) {
        const queued = this.posts.shift();
        if (queued) return queued;
        return {
          kind: "wait",
          id: this.outstanding?.id ?? null,
          deadline: this.outstanding?.deadline ?? null,
        };
      }
      this.finishRead(now);
    }
  }

  /** The rest of one hwrng_fillfn() iteration once virtio_read() returned `fillRead`. */
  private finishRead(now: number): void {
    const rc = this.fillRead;
    this.fillRead = 0;
    if (rc <= 0) {
      this.sleepUntil = now + HWRNG_EMPTY_READ_SLEEP_MS;
      this.events.push({ kind: "empty-read", sleepMs: HWRNG_EMPTY_READ_SLEEP_MS });
      return;
    }
    const credit = fillCredit(rc, this.quality, this.entropyCredit);
    this.entropyCredit = credit.carried;
    const sleepMs = this.sink.addHwgeneratorRandomness(this.fill.slice(0, rc), credit.bits, true);
    this.fill.fill(0);
    this.events.push({ kind: "credit", bytes: rc, creditedBits: credit.bits, sleepMs });
    if (sleepMs > 0) this.sleepUntil = now + sleepMs;
  }

  /** copy_data(): take from data[], and once it is drained post the buffer again. */
  private copyData(dst: Uint8Array, at: number, size: number): number {
    const n = Math.min(size, this.dataAvail);
    if (n <= 0) return 0;
    dst.set(this.data.subarray(this.dataIdx, this.dataIdx + n), at);
    this.dataIdx += n;
    this.dataAvail -= n;
    if (this.dataAvail === 0) {
      this.data.fill(0);
      this.requestEntropy();
    }
    return n;
  }

  /** request_entropy(): post data[] (64 bytes) under a free head. */
  private requestEntropy(): void {
    if (this.outstanding) return;
    const id = this.freeHeads.shift();
    if (id === undefined) {
      if (this.exhaustedReported) return;
      this.exhaustedReported = true;
      this.events.push({
        kind: "driver-error",
        code: "ring-exhausted",
        id: null,
        message: "every descriptor head is held by an unanswered request",
      });
      return;
    }
    this.recentlyUsed.delete(id);
    this.dataIdx = 0;
    const now = this.clock.now();
    const deadline = Number.isFinite(this.timeoutMs) ? now + this.timeoutMs : null;
    this.outstanding = { id, deadline };
    this.posts.push({ kind: "post", id, len: this.bufSize });
  }

  private releaseHead(id: number): void {
    this.exhaustedReported = false;
    if (!this.freeHeads.includes(id)) this.freeHeads.push(id);
  }

  /**
   * The buffer posted and not yet answered, if any: what a transport that lost its device end
   * (a vhost-user backend that reconnects) must make available again. Its head stays ours.
   */
  inflight(): { id: number; len: number } | null {
    return this.outstanding ? { id: this.outstanding.id, len: this.bufSize } : null;
  }

  drainEvents(): VirtioRngDriverEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** Bytes the device delivered that the kthread has not consumed yet. */
  get buffered(): number {
    return this.dataAvail;
  }
}
