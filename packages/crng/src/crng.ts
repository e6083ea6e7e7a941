import { type ArchRandom, NoArchRandom } from "./arch.js";
import { bytesArg, countArg, flagsArg, lenArg, utsnameArg } from "./args.js";
import type { Clock } from "./clock.js";
import { newChachaState } from "./crypto/chacha20.js";
import { CrngError } from "./errors.js";
import { type CrngEvent, type CrngEventInit, type CrngEventListener, EventLog } from "./events.js";
import { ArchSource } from "./kernel/arch-source.js";
import {
  addBootloaderRandomness,
  addDeviceRandomness,
  addHwgeneratorRandomness,
  addVmforkRandomness,
  DEFAULT_UTSNAME,
  randomInit,
  randomInitEarly,
  type Utsname,
} from "./kernel/collect.js";
import { CRNG_EARLY, CRNG_EMPTY } from "./kernel/constants.js";
import { crngReady, crngReseedWork, getRandomBytesKernel } from "./kernel/crng-core.js";
import { addInterruptRandomness, mixInterruptRandomness, newFastPool } from "./kernel/fast-pool.js";
import { Jiffies } from "./kernel/jiffies.js";
import { jitterDue, waitForRandomBytes } from "./kernel/jitter.js";
import { type Kernel, newRandomState, type RandomState } from "./kernel/state.js";
import {
  ioctlAddEntropy,
  ioctlReseedCrng,
  randomRead,
  sysGetrandom,
  urandomRead,
  writePool,
} from "./kernel/userspace.js";
import { type CrngOptions, checkArch, checkClock, resolveConfig } from "./options.js";
import { type CrngSnapshot, restoreState, snapshotState } from "./snapshot.js";
import { vgetrandom } from "./vdso/vgetrandom.js";
import { VDSO_BATCH_BLOCKS, VgetrandomState } from "./vdso/vgetrandom-state.js";

export type CrngInitState = "EMPTY" | "EARLY" | "READY";
export type VmforkNotifier = () => void;

export interface RestoreEnv {
  clock: Clock;
  arch?: ArchRandom;
  maxQueuedEvents?: number;
}

/**
 * One emulated Linux CRNG (drivers/char/random.c, v6.12, x86_64): pure and deterministic. All
 * time comes from `clock` (virtual ms since boot) and all CPU randomness from `arch`.
 *
 * Every call first runs the kernel timers that are due by clock.now(), each at its own expiry
 * time: the periodic reseed work, the per-CPU interrupt mix timers and the jitter loop. Output
 * therefore depends only on the inputs, their virtual times and the ArchRandom answers, never on
 * when the host process got around to calling tick().
 *
 * Blocking: synchronous reads that the kernel would block (getrandom without GRND_NONBLOCK or
 * GRND_INSECURE before READY, /dev/random, /dev/urandom with a usable cycle counter) throw
 * CrngError("WOULD_BLOCK") after registering the blocked reader (which starts jitter entropy);
 * the *Async forms wait on waitForReady() and retry. Something must keep calling tick() (or any
 * other method) as virtual time passes, e.g. a timer set from nextDeadline().
 */
export class Crng {
  private clock: Clock;
  private arch: ArchSource;
  private s: RandomState;
  private jiffies: Jiffies;
  private k: Kernel;
  private events: EventLog;
  private readonly waiters: Array<() => void> = [];
  private readonly notifiers = new Set<VmforkNotifier>();
  /** Virtual ms of the code running now (monotonic even if the clock steps back). */
  private cur = 0;
  /** Earliest pending timer expiry (Infinity when none). */
  private due = Number.POSITIVE_INFINITY;

  constructor(options: CrngOptions) {
    if (typeof options !== "object" || options === null) {
      throw new CrngError("EARG", "Crng options must be an object");
    }
    const config = resolveConfig(options);
    const max = options.maxQueuedEvents ?? 1024;
    if (!Number.isInteger(max) || max < 0) {
      throw new CrngError("EARG", "maxQueuedEvents must be a non-negative integer");
    }
    const workqueuesOnline = options.workqueuesOnline ?? true;
    if (typeof workqueuesOnline !== "boolean") {
      throw new CrngError("EARG", "workqueuesOnline must be a boolean");
    }
    this.clock = checkClock(options.clock);
    this.arch = new ArchSource(checkArch(options.arch) ?? new NoArchRandom());
    this.s = newRandomState(
      config,
      Array.from({ length: config.cpus }, newFastPool),
      Array.from({ length: config.cpus }, () => new VgetrandomState(config.libcBatchBlocks)),
      workqueuesOnline,
    );
    this.jiffies = new Jiffies(config.hz);
    this.events = new EventLog(max);
    this.k = this.makeKernel();
    this.cur = this.readClock();
  }

  /** Rebuilds a CRNG from serialize() output. Fed the same inputs, it produces the same bytes. */
  static restore(snapshot: unknown, env: RestoreEnv): Crng {
    const { state, takenAt } = restoreState(snapshot);
    const c = new Crng({
      clock: env.clock,
      ...(env.arch ? { arch: env.arch } : {}),
      cpus: state.config.cpus,
      hz: state.config.hz,
      vdsoBatchBlocks: state.config.libcBatchBlocks,
      ...(env.maxQueuedEvents !== undefined ? { maxQueuedEvents: env.maxQueuedEvents } : {}),
    });
    c.s = state;
    c.k = c.makeKernel();
    // Stand where the snapshot was taken, then catch up: timers that fell due since then run
    // at their own expiry times, exactly as they would have in the original.
    c.cur = takenAt;
    c.refreshDue();
    c.enter();
    return c;
  }

  /** The complete state as plain data; see CrngSnapshot. */
  serialize(): CrngSnapshot {
    this.enter();
    return snapshotState(this.s, this.cur);
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** add_bootloader_randomness(): credits buf.length * 8 bits with random.trust_bootloader. */
  addBootloaderRandomness(buf: Uint8Array): void {
    this.run(() => addBootloaderRandomness(this.k, bytesArg(buf, "buf")));
  }

  /** add_device_randomness(): mixes the cycle counter and buf; credits nothing. */
  addDeviceRandomness(buf: Uint8Array): void {
    this.run(() => addDeviceRandomness(this.k, bytesArg(buf, "buf")));
  }

  /**
   * add_hwgenerator_randomness(): mixes buf, credits `entropyBits`, and returns the virtual ms
   * the hwrng kthread sleeps before its next read (crng_reseed_interval() when sleepAfter and
   * (ready or no credit), else 0).
   */
  addHwgeneratorRandomness(buf: Uint8Array, entropyBits: number, sleepAfter: boolean): number {
    const b = bytesArg(buf, "buf");
    const bits = countArg(entropyBits, "entropyBits");
    if (typeof sleepAfter !== "boolean") throw new CrngError("EARG", "sleepAfter must be boolean");
    return this.run(() => addHwgeneratorRandomness(this.k, b, bits, sleepAfter));
  }

  /** add_vmfork_randomness(): mixes the id uncredited; reseeds if READY; runs the notifiers. */
  addVmforkRandomness(id: Uint8Array): void {
    this.run(() => addVmforkRandomness(this.k, bytesArg(id, "id")));
  }

  /** add_interrupt_randomness(irq) on `cpu`; `ip` is the interrupted instruction pointer. */
  addInterruptRandomness(irq: number, cpu = 0, ip = 0n): void {
    if (!Number.isInteger(irq) || irq < -0x8000_0000 || irq > 0x7fff_ffff) {
      throw new CrngError("EARG", `irq must be an int, got ${String(irq)}`);
    }
    if (typeof ip !== "bigint") throw new CrngError("EARG", "ip must be a bigint");
    const c = this.cpuArg(cpu);
    this.run(() => addInterruptRandomness(this.k, c, irq, ip));
  }

  /**
   * random_init_early(command_line): 64 bytes of RDSEED/RDRAND longs, utsname and the command
   * line; credits the longs obtained (512 bits minus 64 per failed long, saturating at 256) when
   * random.trust_cpu. Returns that arch_bits figure.
   */
  randomInitEarly(commandLine = "", utsname: Utsname = DEFAULT_UTSNAME): number {
    if (typeof commandLine !== "string") {
      throw new CrngError("EARG", "commandLine must be a string");
    }
    const u = utsnameArg(utsname);
    return this.run(() => randomInitEarly(this.k, commandLine, u));
  }

  /** random_init(): mixes ktime_get_real() and the cycle counter; workqueues are online after it. */
  randomInit(realTimeNs?: bigint): void {
    if (realTimeNs !== undefined && typeof realTimeNs !== "bigint") {
      throw new CrngError("EARG", "realTimeNs must be a bigint");
    }
    this.run(() => randomInit(this.k, realTimeNs ?? BigInt(Math.floor(this.cur * 1e6))));
  }

  /** write(2) to /dev/random or /dev/urandom: mixed, not credited. Returns bytes written. */
  writePool(buf: Uint8Array): number {
    return this.run(() => writePool(this.k, bytesArg(buf, "buf")));
  }

  /** ioctl(RNDADDENTROPY): mix buf and credit entropyBits. */
  ioctlAddEntropy(buf: Uint8Array, entropyBits: number): void {
    const b = bytesArg(buf, "buf");
    this.run(() => ioctlAddEntropy(this.k, b, entropyBits));
  }

  /** ioctl(RNDRESEEDCRNG): CrngError ENODATA before READY. */
  ioctlReseedCrng(): void {
    this.run(() => ioctlReseedCrng(this.k));
  }

  /** register_random_vmfork_notifier(); returns the unregister function. */
  registerVmforkNotifier(fn: VmforkNotifier): () => void {
    if (typeof fn !== "function") throw new CrngError("EARG", "notifier must be a function");
    this.notifiers.add(fn);
    return () => {
      this.notifiers.delete(fn);
    };
  }

  // ---- outputs -----------------------------------------------------------------------------

  /**
   * Userspace getrandom(3) as glibc >= 2.41 does it: the vDSO (__cvdso_getrandom) with one
   * vgetrandom_state per CPU, falling back to the syscall where the vDSO does (not READY,
   * unknown flags). Synchronous; throws CrngError EINVAL / EAGAIN / WOULD_BLOCK.
   */
  getrandom(len: number, flags = 0, cpu = 0): Uint8Array {
    const n = lenArg(len);
    const f = flagsArg(flags);
    const c = this.cpuArg(cpu);
    this.enter();
    // Fast path: once ready nothing on the vDSO path (nor its syscall fallback) arms a timer.
    if (this.s.vdsoData.isReady) return vgetrandom(this.k, this.s.libcStates[c]!, n, f, c);
    try {
      return vgetrandom(this.k, this.s.libcStates[c]!, n, f, c);
    } finally {
      this.refreshDue();
    }
  }

  /** getrandom() that waits (like the blocking syscall) instead of throwing WOULD_BLOCK. */
  getrandomAsync(len: number, flags = 0, cpu = 0): Promise<Uint8Array> {
    return this.retryWhenReady(() => this.getrandom(len, flags, cpu));
  }

  /** The getrandom(2) syscall itself: get_random_bytes_user() on `cpu`'s crng, no batching. */
  sysGetrandom(len: number, flags = 0, cpu = 0): Uint8Array {
    const n = lenArg(len);
    const f = flagsArg(flags);
    const c = this.cpuArg(cpu);
    return this.run(() => sysGetrandom(this.k, n, f, c));
  }

  sysGetrandomAsync(len: number, flags = 0, cpu = 0): Promise<Uint8Array> {
    return this.retryWhenReady(() => this.sysGetrandom(len, flags, cpu));
  }

  /** read(2) of /dev/random (= getrandom(0); O_NONBLOCK gives EAGAIN before READY). */
  readRandom(len: number, opts: { nonblock?: boolean; cpu?: number } = {}): Uint8Array {
    const n = lenArg(len);
    const c = this.cpuArg(opts.cpu ?? 0);
    return this.run(() => randomRead(this.k, n, opts.nonblock === true, c));
  }

  readRandomAsync(len: number, opts: { cpu?: number } = {}): Promise<Uint8Array> {
    return this.retryWhenReady(() => this.readRandom(len, opts));
  }

  /**
   * read(2) of /dev/urandom (= GRND_INSECURE): never EAGAIN. Before READY it first tries jitter
   * entropy: with a usable cycle counter the kernel keeps the reader until READY, which this sync
   * form reports as WOULD_BLOCK; otherwise it logs the ratelimited
   * "random: <comm>: uninitialized urandom read (<n> bytes read)" and returns bytes.
   */
  readUrandom(len: number, opts: { comm?: string; cpu?: number } = {}): Uint8Array {
    const n = lenArg(len);
    const c = this.cpuArg(opts.cpu ?? 0);
    const comm = opts.comm ?? "vmrng";
    if (typeof comm !== "string") throw new CrngError("EARG", "comm must be a string");
    return this.run(() => urandomRead(this.k, n, comm, c));
  }

  readUrandomAsync(len: number, opts: { comm?: string; cpu?: number } = {}): Promise<Uint8Array> {
    return this.retryWhenReady(() => this.readUrandom(len, opts));
  }

  /** In-kernel get_random_bytes() (_get_random_bytes): never blocks, never warns. */
  getRandomBytes(len: number, cpu = 0): Uint8Array {
    const n = lenArg(len);
    const c = this.cpuArg(cpu);
    return this.run(() => getRandomBytesKernel(this.k, c, n));
  }

  /** A zeroed vgetrandom_state, as from mmap(MAP_DROPPABLE); 2 blocks = the kernel's struct. */
  openVgetrandomState(batchBlocks = VDSO_BATCH_BLOCKS): VgetrandomState {
    try {
      return new VgetrandomState(batchBlocks);
    } catch (e) {
      throw new CrngError("EARG", (e as Error).message);
    }
  }

  /** __vdso_getrandom(buf, len, flags, state): see vdso/vgetrandom.ts. */
  vgetrandom(state: VgetrandomState, len: number, flags = 0, cpu = 0): Uint8Array {
    if (!(state instanceof VgetrandomState)) {
      throw new CrngError("EARG", "state must come from openVgetrandomState()");
    }
    const n = lenArg(len);
    const f = flagsArg(flags);
    const c = this.cpuArg(cpu);
    return this.run(() => vgetrandom(this.k, state, n, f, c));
  }

  // ---- blocking and time -------------------------------------------------------------------

  /**
   * wait_for_random_bytes(): resolves once crng_init reaches READY. Registers a blocked reader,
   * which starts try_to_generate_entropy() (jitter) when the cycle counter allows.
   */
  waitForReady(): Promise<void> {
    this.enter();
    if (crngReady(this.k)) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push(resolve));
    waitForRandomBytes(this.k);
    this.refreshDue();
    return p;
  }

  /** Runs every kernel timer due by clock.now(). Call it as virtual time passes. */
  tick(): void {
    this.run(() => undefined);
  }

  /** Virtual ms of the next pending kernel timer, or null if none is armed. */
  nextDeadline(): number | null {
    return Number.isFinite(this.due) ? this.due : null;
  }

  /** When the periodic reseed work will run next (null: not armed). */
  nextReseedAt(): number | null {
    return this.s.reseedWork.dueAt;
  }

  // ---- observation -------------------------------------------------------------------------

  /** /proc/sys/kernel/random/entropy_avail: input_pool.init_bits (256 once READY). */
  get entropyAvail(): number {
    this.enter();
    return this.s.pool.initBits;
  }

  get initState(): CrngInitState {
    this.enter();
    const v = this.s.crngInit;
    return v === CRNG_EMPTY ? "EMPTY" : v === CRNG_EARLY ? "EARLY" : "READY";
  }

  get isReady(): boolean {
    return this.initState === "READY";
  }

  /** base_crng.generation (unsigned long): 0 until the first crng_reseed(). */
  get generation(): bigint {
    this.enter();
    return this.s.base.generation;
  }

  get cpus(): number {
    return this.s.config.cpus;
  }

  /** Events dropped from the drain queue because nobody drained it. */
  get droppedEvents(): number {
    return this.events.dropped;
  }

  onEvent(listener: CrngEventListener): () => void {
    return this.events.subscribe(listener);
  }

  drainEvents(): CrngEvent[] {
    return this.events.drain();
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private makeKernel(): Kernel {
    return {
      s: this.s, // restore() swaps state and kernel together
      arch: this.arch,
      jiffies: this.jiffies,
      scratch: newChachaState(),
      now: () => this.cur,
      emit: (e: CrngEventInit) => this.events.push({ ...e, at: this.cur } as CrngEvent),
      wakeReady: () => {
        for (const w of this.waiters.splice(0)) w();
      },
      runVmforkChain: () => {
        for (const n of [...this.notifiers]) n();
      },
    };
  }

  private readClock(): number {
    const t = this.clock.now();
    if (typeof t !== "number" || !Number.isFinite(t)) {
      throw new CrngError("EPLATFORM", `clock.now() returned ${String(t)}`);
    }
    return t;
  }

  /** Catch up with the clock: run due timers in expiry order, then stand at clock.now(). */
  private enter(): void {
    const t = this.readClock();
    if (t >= this.due) this.runTimers(t);
    if (t > this.cur) this.cur = t;
  }

  private run<T>(fn: () => T): T {
    this.enter();
    try {
      return fn();
    } finally {
      this.refreshDue();
    }
  }

  private runTimers(until: number): void {
    const s = this.s;
    for (;;) {
      let at = s.reseedWork.dueAt ?? Number.POSITIVE_INFINITY;
      let which = -2; // -2 reseed work, -1 jitter, >= 0 the CPU's fast pool mix timer
      for (let cpu = 0; cpu < s.fastPools.length; cpu++) {
        const d = s.fastPools[cpu]!.mixDueAt;
        if (d !== null && d < at) {
          at = d;
          which = cpu;
        }
      }
      const j = s.jitter.dueAt;
      if (j !== null && j < at) {
        at = j;
        which = -1;
      }
      if (!(at <= until)) break;
      if (at > this.cur) this.cur = at;
      if (which === -2) crngReseedWork(this.k);
      else if (which === -1) jitterDue(this.k);
      else mixInterruptRandomness(this.k, which);
    }
    this.refreshDue();
  }

  private refreshDue(): void {
    const s = this.s;
    let d = s.reseedWork.dueAt ?? Number.POSITIVE_INFINITY;
    for (const fp of s.fastPools) if (fp.mixDueAt !== null && fp.mixDueAt < d) d = fp.mixDueAt;
    if (s.jitter.dueAt !== null && s.jitter.dueAt < d) d = s.jitter.dueAt;
    this.due = d;
  }

  private async retryWhenReady(read: () => Uint8Array): Promise<Uint8Array> {
    for (;;) {
      try {
        return read();
      } catch (e) {
        if (!(e instanceof CrngError) || e.code !== "WOULD_BLOCK") throw e;
        await this.waitForReady();
      }
    }
  }

  private cpuArg(cpu: number): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.s.config.cpus) {
      throw new CrngError("EARG", `cpu must be an integer in 0..${this.s.config.cpus - 1}`);
    }
    return cpu;
  }
}
