import type { GuestSpec } from "@vmrng/cluster";
import { type Clock, Crng, type CrngInitState, DEFAULT_UTSNAME } from "@vmrng/crng";
import {
  ACPI_NOTIFY_VMGENID,
  type GuestMemory,
  toHex,
  type VmGenIdNotifyResult,
  type X86Cpu,
} from "@vmrng/devices";
import { GuestAccounting, type GuestChannel } from "./accounting.js";
import { buildCpu, GuestArch } from "./arch.js";
import { errText, flagsArg, lenArg } from "./args.js";
import { loadGuestMemory } from "./boot-image.js";
import { ChannelSink } from "./channel-sink.js";
import { commandLineFor, effectiveTrustCpu } from "./command-line.js";
import { KernelConsole } from "./console.js";
import {
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_LOG_LINES,
  INIT_PROCESS,
  PANIC_EXIT_CODE,
} from "./constants.js";
import { GuestDevices } from "./devices.js";
import { runEarlyBoot } from "./early-boot.js";
import { GuestKernelError } from "./errors.js";
import { type GuestEvent, GuestEventBus, type GuestEventListener } from "./events.js";
import { HwrngDevice } from "./hwrng-dev.js";
import { InterruptModel } from "./interrupts.js";
import { crngEventHandler } from "./kernel-events.js";
import { checkOptions, type GuestBootInput, type GuestKernelOptions } from "./options.js";
import { OutputGate } from "./output-gate.js";
import { KernelLog, type KernelLogLine, type LogLevel } from "./printk.js";
import { crediting, type ReadinessSource, ReadinessTracker } from "./readiness.js";
import {
  checkSnapshot,
  GUEST_SNAPSHOT_FORMAT,
  GUEST_SNAPSHOT_VERSION,
  type GuestKernelSnapshot,
} from "./snapshot.js";
import type { GuestPhase, GuestStatus } from "./status.js";
import { KernelClock, Timeline } from "./timeline.js";
import type { GuestTransport } from "./transport.js";
import { type VmforkNotice, VmforkNotifier } from "./vmfork.js";

export type BootResult =
  | { kind: "running"; bootedAtMs: number; readyAtMs: number | null }
  | { kind: "panic"; message: string; atMs: number; exitCode: typeof PANIC_EXIT_CODE };

export type { VmforkNotice };

export type VmgenidNotifyOutcome =
  | (VmGenIdNotifyResult & { bytesRead?: number })
  /** No vmgenid device was probed (mode "off", or its probe failed). */
  | { kind: "no-device" }
  /** Re-reading the id through the transport failed. */
  | { kind: "transport-error"; message: string }
  /** The kernel has panicked. */
  | { kind: "ignored" };

/** Deliveries handled in one go before the rest waits for the next entry (hostile devices). */
const MAX_DELIVERIES_PER_ENTRY = 10_000;

/**
 * One emulated Linux x86 guest kernel: boot, the entropy drivers, the CRNG and the userspace
 * API, pure and deterministic under an injected Clock, TSC and byte source. It talks to its
 * hypervisor only through GuestTransport (outbound) and the on*() methods (inbound); the
 * process around it owns sockets and timers (see transport.ts for the scheduler contract).
 */
export class GuestKernel {
  readonly spec: GuestSpec;
  /** The guest CRNG, for inspection; feeding it directly bypasses the kernel's bookkeeping. */
  readonly crng: Crng;
  readonly cpu: X86Cpu;
  readonly commandLine: string;

  private readonly clock: Clock;
  private readonly kclock: KernelClock;
  private readonly transport: GuestTransport;
  private readonly arch: GuestArch;
  private readonly log: KernelLog;
  private readonly con: KernelConsole;
  private readonly vmforks: VmforkNotifier;
  private readonly gate: OutputGate;
  private readonly readiness = new ReadinessTracker();
  private readonly accounting = new GuestAccounting();
  private readonly timeline: Timeline;
  private readonly interrupts: InterruptModel;
  private readonly hwrngDev: HwrngDevice;
  private readonly dev: GuestDevices;
  private readonly coco: boolean;
  private readonly bootInput: GuestBootInput | undefined;
  private readonly onWake: ((at: number | null) => void) | undefined;

  private guestMemory: GuestMemory | null = null;
  private phaseValue: GuestPhase = "created";
  private panicInfo: { message: string; atMs: number } | null = null;
  private bootStartedAt: number | null = null;
  private busy = false;
  private readonly inbound: { id: number; bytes: Uint8Array }[] = [];
  private deliveryCapReported = false;
  private lastWake: number | null = null;
  private timerLabel: ReadinessSource | null = null;
  private readonly userspaceGate: Promise<void>;
  private openUserspace!: () => void;
  private closeUserspace!: (e: Error) => void;
  private readonly deathGate: Promise<never>;
  private killAll!: (e: Error) => void;

  constructor(options: GuestKernelOptions) {
    checkOptions(options);
    this.spec = options.spec;
    this.clock = options.clock;
    this.transport = options.transport;
    this.coco = options.spec.coco;
    this.bootInput = options.boot;
    this.onWake = options.onWakeChanged;
    this.commandLine = options.boot?.commandLine ?? commandLineFor(options.spec);
    this.kclock = new KernelClock(this.readOuterClock());
    this.log = new KernelLog(options.maxLogLines ?? DEFAULT_MAX_LOG_LINES);
    this.con = new KernelConsole(
      this.kclock,
      this.log,
      new GuestEventBus(options.maxEvents ?? DEFAULT_MAX_EVENTS),
    );
    this.vmforks = new VmforkNotifier(this.con);
    this.cpu = buildCpu(options.spec, options.randomBytes, this.kclock);
    this.arch = new GuestArch(this.cpu, options.tsc);
    this.crng = new Crng({
      clock: this.kclock,
      arch: this.arch,
      cpus: options.spec.cpus,
      trustCpu: effectiveTrustCpu(this.commandLine, options.spec.trust.cpu),
      trustBootloader: options.spec.trust.bootloader,
      // start_kernel() runs random_init_early() before workqueue_init_early(); random_init()
      // (after it) brings workqueues online, so the periodic reseed is armed from then on.
      workqueuesOnline: false,
      maxQueuedEvents: 0,
      ...(options.crng?.hz !== undefined ? { hz: options.crng.hz } : {}),
      ...(options.crng?.jitter !== undefined ? { jitter: options.crng.jitter } : {}),
      ...(options.crng?.vdsoBatchBlocks !== undefined
        ? { vdsoBatchBlocks: options.crng.vdsoBatchBlocks }
        : {}),
    });
    this.crng.onEvent(crngEventHandler(this.con, this.readiness, "EMPTY"));
    this.timeline = new Timeline(this.kclock);
    this.interrupts = new InterruptModel(
      options.spec.interrupts.perSecond,
      options.spec.cpus,
      (irq, cpu, ip) =>
        this.readiness.as("interrupts", () => this.crng.addInterruptRandomness(irq, cpu, ip)),
    );
    this.timeline.add({
      name: "crng timers",
      nextAt: () => this.crng.nextDeadline(),
      // Which crediting timer is about to run, judged before it runs (readiness.ts).
      beforeFire: (at) => {
        this.timerLabel = this.readiness.isReady ? null : crediting(this.crng.serialize(), at);
      },
      fire: () => this.readiness.as(this.timerLabel, () => this.crng.tick()),
    });
    this.timeline.add(this.interrupts);
    this.timeline.add({
      name: "hwrng",
      nextAt: () => this.dev.hwrng?.nextAt() ?? null,
      fire: () => this.dev.hwrng?.fire(),
    });
    this.dev = new GuestDevices({
      spec: this.spec,
      coco: this.coco,
      transport: this.transport,
      clock: this.kclock,
      accounting: this.accounting,
      console: this.con,
      readiness: this.readiness,
      virtioQuality: options.virtioRngQuality,
      inKernel: (fn) => this.inKernel(fn),
      sink: (channel, source, untrusted) => this.sink(channel, source, untrusted),
    });
    this.hwrngDev = new HwrngDevice(() => this.dev.hwrng?.driver ?? null);
    this.userspaceGate = new Promise<void>((resolve, reject) => {
      this.openUserspace = resolve;
      this.closeUserspace = reject;
    });
    this.userspaceGate.catch(() => undefined);
    this.deathGate = new Promise<never>((_, reject) => {
      this.killAll = reject;
    });
    this.deathGate.catch(() => undefined);
    this.gate = new OutputGate({
      crng: () => this.crng,
      counter: () => this.dev.counter,
      uniqueBytes: () => this.dev.generationUniqueBytes(),
      inKernel: (fn) => this.inKernel(fn),
      console: this.con,
      accounting: this.accounting,
      vmfork: (n) => this.vmforks.notify(n),
      now: () => this.kclock.now(),
      death: this.deathGate,
      assertAlive: () => {
        if (this.phaseValue === "panicked") throw panicError(this.panicInfo?.message);
      },
    });
  }

  // ---- boot ------------------------------------------------------------------------------

  /**
   * Boot to userspace: the synchronous start_kernel() part (early-boot.ts), then the device
   * initcalls (vmgenid, the generation counter, virtio-rng + hwrng_register, the CommonHV MSR),
   * then "Run /sbin/init as init process". Resolves with a panic result instead when
   * cc_random_init() panics; the process then exits with PANIC_EXIT_CODE.
   */
  async boot(): Promise<BootResult> {
    if (this.phaseValue !== "created") {
      throw new GuestKernelError("ALREADY_BOOTED", `boot() called in phase ${this.phaseValue}`);
    }
    const input = this.bootInput;
    if (!input) throw new GuestKernelError("BAD_OPTIONS", "boot() needs options.boot");
    const memory = loadGuestMemory(input.image);
    this.guestMemory = memory;
    this.phaseValue = "booting";
    this.kclock.advanceTo(this.readOuterClock());
    this.bootStartedAt = this.kclock.now();
    this.con.emit("boot", "start_kernel", { phase: "start_kernel" });

    const early = this.inKernel(
      () =>
        runEarlyBoot({
          crng: this.crng,
          cpu: this.cpu,
          arch: this.arch,
          memory,
          zeroPageAddr: input.image.zeroPageAddr,
          coco: this.coco,
          commandLine: this.commandLine,
          utsname: DEFAULT_UTSNAME,
          readiness: this.readiness,
          accounting: this.accounting,
          setupDataSink: this.sink("setup_data", "setup_data seed", this.coco),
          ccSink: this.sink("rdrand", null, true),
          printk: (level, text, upstream) => this.con.printk(level, text, upstream),
          driverError: (ch, msg, data) => this.con.driverError(ch, msg, data),
          enableInterrupts: () => this.interrupts.start(this.kclock.now()),
        }),
      false,
    );
    if (early.kind === "panic") {
      this.die(early.message);
      return {
        kind: "panic",
        message: early.message,
        atMs: this.kclock.now(),
        exitCode: PANIC_EXIT_CODE,
      };
    }

    this.con.emit("boot", "do_initcalls", { phase: "initcalls" });
    await this.dev.probeVmgenid(input.vmgenid);
    this.dev.probeCounter(input.vmclockPage);
    this.dev.probeVirtioRng();
    await this.dev.probeMsr();

    this.inKernel(() => this.con.printk("info", `Run ${INIT_PROCESS} as init process`));
    this.phaseValue = "running";
    this.con.emit("boot", "userspace", { phase: "userspace" });
    this.openUserspace();
    return { kind: "running", bootedAtMs: this.kclock.now(), readyAtMs: this.readiness.readyAtMs };
  }

  // ---- time ------------------------------------------------------------------------------

  /** Run everything that fell due by clock.now(), each at its own virtual time. */
  poll(): void {
    this.inKernel(() => undefined);
  }

  /** Virtual ms at which poll() is next needed, or null when nothing is pending. */
  nextWakeAt(): number | null {
    if (this.phaseValue === "panicked") return null;
    return this.timeline.nextAt();
  }

  // ---- hypervisor -> guest ---------------------------------------------------------------

  /** A used buffer on the virtio-rng queue (random_recv_done()). Malformed ones are logged. */
  onVirtioUsed(id: number, bytes: Uint8Array): void {
    if (this.phaseValue === "panicked") return;
    if (!Number.isInteger(id) || id < 0 || !(bytes instanceof Uint8Array)) {
      this.inKernel(() => {
        this.accounting.add("virtio-rng", { errors: 1 });
        this.con.driverError("virtio-rng", `malformed used element (id ${String(id)})`);
      });
      return;
    }
    this.inbound.push({ id, bytes: bytes.slice() });
    this.inKernel(() => undefined);
  }

  /** ACPI Notify on the vmgenid device: re-read the id; a new one means the VM was forked. */
  /** The hypervisor is back after a link loss: re-post what its predecessor never answered. */
  resubmitInflight(): void {
    this.inKernel(() => this.dev.hwrng?.resubmit());
  }

  async onAcpiNotify(value: number = ACPI_NOTIFY_VMGENID): Promise<VmgenidNotifyOutcome> {
    if (this.phaseValue === "panicked") return { kind: "ignored" };
    const ch = this.dev.vmgenid;
    if (!ch) {
      this.inKernel(() =>
        this.con.driverError(
          "vmgenid",
          `ACPI Notify(0x${value.toString(16)}) without a vmgenid device`,
        ),
      );
      return { kind: "no-device" };
    }
    let r: VmGenIdNotifyResult & { bytesRead: number };
    try {
      r = await ch.notify(value, (fn) => this.inKernel(() => this.readiness.as(null, fn)));
    } catch (e) {
      this.inKernel(() =>
        this.con.driverError("vmgenid", `re-reading the id failed: ${errText(e)}`),
      );
      return { kind: "transport-error", message: errText(e) };
    }
    this.inKernel(() => {
      if (r.kind === "driver-error") {
        this.accounting.add("vmgenid", { errors: 1 });
        this.con.driverError("vmgenid", r.message, { code: r.code });
      } else if (r.kind === "vmfork") {
        this.vmforks.notify({
          at: this.kclock.now(),
          source: "vmgenid",
          id: r.id,
          uevent: r.uevent,
        });
      }
    });
    return r;
  }

  /** The hypervisor rewrote the VMClock page (shared memory). */
  onVmclockPage(bytes: Uint8Array): void {
    if (this.phaseValue === "panicked") return;
    if (!(bytes instanceof Uint8Array)) {
      this.inKernel(() => this.con.driverError("counter", "VMClock page update is not bytes"));
      return;
    }
    this.dev.counter?.setPage(bytes);
  }

  // ---- userspace -------------------------------------------------------------------------

  /** getrandom(2). Waits while it would block; EAGAIN / EINVAL as GuestSyscallError. */
  async getrandom(len: number, flags = 0): Promise<Uint8Array> {
    const n = lenArg(len);
    const f = flagsArg(flags);
    await this.userspace();
    return this.gate.read(() => this.crng.sysGetrandom(n, f));
  }

  /** read(2) of /dev/random (getrandom flags 0; O_NONBLOCK gives EAGAIN before READY). */
  async readRandom(len: number, opts: { nonblock?: boolean } = {}): Promise<Uint8Array> {
    const n = lenArg(len);
    const nonblock = opts.nonblock === true;
    await this.userspace();
    return this.gate.read(() => this.crng.readRandom(n, { nonblock }));
  }

  /**
   * read(2) of /dev/urandom: never EAGAIN. Before READY it first runs
   * try_to_generate_entropy() (with a usable cycle counter the read waits for READY); else
   * the "random: <comm>: uninitialized urandom read (<n> bytes read)" warning is logged.
   */
  async readUrandom(len: number, opts: { comm?: string } = {}): Promise<Uint8Array> {
    const n = lenArg(len);
    const comm = opts.comm ?? "vmrng";
    if (typeof comm !== "string") throw new GuestKernelError("BAD_ARGUMENT", "comm: string");
    await this.userspace();
    return this.gate.read(() => this.crng.readUrandom(n, { comm }));
  }

  /** read(2) of /dev/hwrng: raw virtio-rng bytes (ENODEV without one; EAGAIN if O_NONBLOCK). */
  async readHwrng(len: number, opts: { nonblock?: boolean } = {}): Promise<Uint8Array> {
    const n = lenArg(len);
    await this.userspace();
    await this.gate.check();
    if (opts.nonblock === true) {
      return this.inKernel(() => {
        const b = this.hwrngDev.readNonblock(n);
        this.dev.hwrng?.pump();
        return b;
      });
    }
    const p = this.inKernel(() => {
      const r = this.hwrngDev.readBlocking(n);
      this.dev.hwrng?.pump();
      return r;
    });
    return Promise.race([p, this.deathGate]);
  }

  /**
   * kexec_file_load() + reboot: setup_rng_seed() (arch/x86/kernel/kexec-bzimage64.c) hands the
   * next kernel RNG_SEED_LENGTH (32) bytes of get_random_bytes(), only if rng_is_initialized();
   * else no SETUP_RNG_SEED node at all (null). The bytes come out through the same gate as any
   * output, so a cloned kernel cannot hand its parent's seed on. kernel_kexec() then logs
   * "kexec_core: Starting new kernel" (kernel/kexec_core.c) and this kernel is gone.
   */
  async kexecSeed(): Promise<Uint8Array | null> {
    await this.userspace();
    const seed = this.inKernel(() => this.crng.isReady)
      ? await this.gate.read(() => this.crng.getRandomBytes(32))
      : null;
    this.inKernel(() => this.con.printk("notice", "kexec_core: Starting new kernel"));
    return seed;
  }

  /**
   * Counter mode: read vm_generation_counter now, as a VMClock consumer does before it uses
   * key material (the page is mappable by userspace); a moved counter runs
   * add_vmfork_randomness() and the vmfork notifier chain before this resolves. Without the
   * counter device it only waits for userspace to run.
   */
  async checkVmGeneration(): Promise<void> {
    await this.userspace();
    await this.gate.check();
  }

  /**
   * printk from code loaded into this kernel: the lab's in-guest programs that stand for kernel
   * modules (WireGuard's net_dbg_ratelimited lines). `upstream: false` for lines Linux does
   * not print (they start with "vmrng: ").
   */
  modulePrintk(level: LogLevel, text: string, upstream = true): void {
    if (this.phaseValue === "panicked") return;
    this.inKernel(() => this.con.printk(level, text, upstream));
  }

  /** Virtual ms since boot (local_clock()), after running what fell due. */
  get uptimeMs(): number {
    return this.inKernel(() => this.kclock.now());
  }

  /** /proc/sys/kernel/random/entropy_avail. */
  get entropyAvail(): number {
    return this.inKernel(() => this.crng.entropyAvail);
  }

  /** crng_init. */
  get crngInit(): CrngInitState {
    return this.inKernel(() => this.crng.initState);
  }

  get phase(): GuestPhase {
    return this.phaseValue;
  }

  /** Guest RAM as the kernel left it (null before boot). */
  get memory(): GuestMemory | null {
    return this.guestMemory;
  }

  /** dmesg: every line so far, formatted. */
  dmesg(): string[] {
    return this.log.lines().map((l) => l.line);
  }

  logLines(): KernelLogLine[] {
    return this.log.lines();
  }

  /** The NEW_VMGENID=1 uevent / a generation-counter change, as userspace would see it. */
  onVmfork(listener: (n: VmforkNotice) => void): () => void {
    return this.vmforks.subscribe(listener);
  }

  onEvent(listener: GuestEventListener): () => void {
    return this.con.bus.subscribe(listener);
  }

  /** The most recent events (bounded history). */
  events(): GuestEvent[] {
    return this.con.bus.history();
  }

  status(): GuestStatus {
    this.poll();
    const alive = this.phaseValue !== "panicked";
    const action = this.dev.hwrng?.action.kind ?? "idle";
    return {
      id: this.spec.id,
      phase: this.phaseValue,
      uptimeMs: this.kclock.now(),
      bootStartedAtMs: this.bootStartedAt,
      crng: {
        init: this.crng.initState,
        entropyAvail: this.crng.entropyAvail,
        generation: this.crng.generation,
      },
      readyAtMs: this.readiness.readyAtMs,
      timeToReadyMs:
        this.readiness.readyAtMs === null
          ? null
          : this.readiness.readyAtMs - (this.bootStartedAt ?? 0),
      readySource: this.readiness.source,
      rdrand: {
        mode: this.spec.rdrand.mode,
        rdrandEnabled: this.cpu.hasRdrand,
        rdseedEnabled: this.cpu.hasRdseed,
      },
      hwrng: {
        registered: this.dev.hwrng?.driver.isRegistered ?? false,
        kthread: alive && action !== "post" ? (action as "wait" | "sleep" | "idle") : "idle",
        quality: this.dev.hwrng?.driver.quality ?? null,
      },
      vmgenid: {
        mode: this.spec.vmgenid.mode,
        id: this.dev.vmgenid?.currentId ? toHex(this.dev.vmgenid.currentId) : null,
      },
      generationCounter: this.dev.counter?.counter ?? null,
      interrupts: {
        perSecond: this.spec.interrupts.perSecond,
        delivered: this.interrupts.snapshot.delivered,
      },
      channels: this.accounting.snapshot([
        this.cpu.rdrand.accounting(),
        this.cpu.rdseed.accounting(),
      ]),
      panic: this.panicInfo ? { ...this.panicInfo, exitCode: PANIC_EXIT_CODE } : null,
      logLines: this.log.lines().length,
    };
  }

  // ---- snapshot ------------------------------------------------------------------------------

  /** The running kernel as plain data (see snapshot.ts for what is not carried). */
  serialize(): GuestKernelSnapshot {
    if (this.phaseValue !== "running") {
      throw new GuestKernelError(
        "BAD_SNAPSHOT",
        `cannot snapshot a guest in phase ${this.phaseValue}`,
      );
    }
    this.poll();
    return {
      format: GUEST_SNAPSHOT_FORMAT,
      version: GUEST_SNAPSHOT_VERSION,
      takenAtMs: this.kclock.now(),
      bootStartedAtMs: this.bootStartedAt,
      commandLine: this.commandLine,
      crng: this.crng.serialize(),
      cpuCaps: { rdrand: this.cpu.hasRdrand, rdseed: this.cpu.hasRdseed },
      interrupts: this.interrupts.snapshot,
      virtioRngRegistered: this.dev.hwrng?.driver.isRegistered ?? false,
      vmgenidId: this.dev.vmgenid?.currentId ?? null,
      generationCounter: this.dev.counter?.counter ?? null,
      readiness: { readyAtMs: this.readiness.readyAtMs, source: this.readiness.source },
      channels: this.accounting.snapshot([
        this.cpu.rdrand.accounting(),
        this.cpu.rdseed.accounting(),
      ]),
      log: { lines: this.log.lines(), dropped: this.log.dropped },
    };
  }

  /**
   * A running kernel from serialize() output: the same CRNG state, drivers resumed with what
   * the parent had seen (vmgenid this_id, the last generation counter), a fresh virtio-rng
   * device. `options.clock` should continue from snapshot.takenAtMs. For a clone the
   * hypervisor has already bumped the counter in `vmclockPage` and written a new vmgenid, so
   * the clone's first output (counter mode) or the coming ACPI notify reseeds it.
   */
  static restore(
    snapshot: unknown,
    options: Omit<GuestKernelOptions, "boot">,
    env: { vmclockPage?: Uint8Array } = {},
  ): GuestKernel {
    const s = checkSnapshot(snapshot);
    const { boot: _ignored, ...rest } = options as GuestKernelOptions;
    const k = new GuestKernel(rest);
    k.adopt(s, env);
    return k;
  }

  private adopt(s: GuestKernelSnapshot, env: { vmclockPage?: Uint8Array }): void {
    const restored = Crng.restore(s.crng, {
      clock: this.kclock,
      arch: this.arch,
      maxQueuedEvents: 0,
    });
    (this as { crng: Crng }).crng = restored;
    (this as { commandLine: string }).commandLine = s.commandLine;
    restored.onEvent(crngEventHandler(this.con, this.readiness, restored.initState));
    this.kclock.advanceTo(s.takenAtMs);
    if (!s.cpuCaps.rdrand) this.cpu.clearCap("rdrand");
    if (!s.cpuCaps.rdseed) this.cpu.clearCap("rdseed");
    this.interrupts.load(s.interrupts);
    this.bootStartedAt = s.bootStartedAtMs;
    this.readiness.readyAtMs = s.readiness.readyAtMs;
    this.readiness.source =
      s.readiness.readyAtMs === null ? null : (s.readiness.source ?? "snapshot");
    this.log.load(s.log.lines, s.log.dropped);
    this.accounting.load(
      Object.fromEntries(
        s.channels.map((c) => [
          c.channel,
          { requests: c.requests, bytes: c.bytes, errors: c.errors, creditedBits: c.creditedBits },
        ]),
      ),
    );
    this.phaseValue = "running";
    this.inKernel(() => {
      this.dev.resume({ ...s, vmclockPage: env.vmclockPage });
      this.con.emit("boot", "restored from snapshot", {
        phase: "restored",
        takenAtMs: s.takenAtMs,
      });
    });
    this.openUserspace();
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * Every entry into the kernel: first run what fell due by clock.now() (each at its own
   * time), then `fn` at that time, then the device deliveries it caused. Re-entrant calls
   * (a transport answering from inside virtioPost) just run: their deliveries are queued.
   */
  /**
   * Runs `fn` as kernel code at the current virtual time. `advance: false` keeps the kernel
   * clock where it stands: early boot (setup_arch up to time_init) runs at one instant, as
   * printk shows it on real hardware before sched_clock is up.
   */
  private inKernel<T>(fn: () => T, advance = true): T {
    if (this.busy) return fn();
    this.busy = true;
    try {
      if (this.phaseValue !== "panicked") {
        const until = advance ? this.readOuterClock() : this.kclock.now();
        this.timeline.runUntil(until, () => this.drainInbound());
        this.drainInbound();
      }
      const r = fn();
      this.drainInbound();
      return r;
    } finally {
      this.busy = false;
      this.notifyWake();
    }
  }

  private drainInbound(): void {
    let n = 0;
    while (this.inbound.length > 0 && this.phaseValue !== "panicked") {
      if (++n > MAX_DELIVERIES_PER_ENTRY) {
        if (!this.deliveryCapReported) {
          this.deliveryCapReported = true;
          this.con.driverError(
            "virtio-rng",
            `more than ${MAX_DELIVERIES_PER_ENTRY} used buffers in one go; the rest waits`,
          );
        }
        return;
      }
      const d = this.inbound.shift()!;
      this.accounting.add("virtio-rng", { requests: 1, bytes: d.bytes.length });
      if (!this.dev.hwrng) {
        this.accounting.add("virtio-rng", { errors: 1 });
        this.con.driverError(
          "virtio-rng",
          `used buffer ${d.id} for a device the guest did not probe`,
        );
        continue;
      }
      this.dev.hwrng.used(d.id, d.bytes);
      this.hwrngDev.service();
      this.dev.hwrng.pump();
    }
    if (this.inbound.length === 0) this.deliveryCapReported = false;
  }

  private notifyWake(): void {
    const t = this.nextWakeAt();
    if (t === this.lastWake) return;
    this.lastWake = t;
    if (!this.onWake) return;
    try {
      this.onWake(t);
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
  }

  private readOuterClock(): number {
    const t = this.clock.now();
    if (typeof t !== "number" || !Number.isFinite(t)) {
      throw new GuestKernelError("BAD_OPTIONS", `clock.now() returned ${String(t)}`);
    }
    return t;
  }

  private sink(
    channel: GuestChannel,
    source: ReadinessSource | null,
    untrusted: boolean,
  ): ChannelSink {
    return new ChannelSink(this.crng, this.readiness, this.accounting, {
      channel,
      source,
      untrusted,
      run: (fn) => this.inKernel(fn),
    });
  }

  private userspace(): Promise<void> {
    return this.phaseValue === "running" ? Promise.resolve() : this.userspaceGate;
  }

  private die(message: string): void {
    const err = panicError(message);
    this.phaseValue = "panicked";
    this.panicInfo = { message, atMs: this.kclock.now() };
    this.timeline.clear();
    this.interrupts.stop();
    this.hwrngDev.abort(err);
    this.con.emit("panic", `Kernel panic - not syncing: ${message}`, { exitCode: PANIC_EXIT_CODE });
    this.closeUserspace(err);
    this.killAll(err);
    this.notifyWake();
  }
}

function panicError(message = "panic"): GuestKernelError {
  return new GuestKernelError("PANICKED", `the guest kernel panicked: ${message}`);
}
