import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { GuestSpec } from "@vmrng/cluster";
import type { Clock } from "@vmrng/crng";
import { type ByteSource, type RngMsrHost, VirtioRngError } from "@vmrng/devices";
import {
  bootSeedOverride,
  type FaultLayer,
  rdrandPlan,
  type ValidFault,
  virtioFaultFor,
  vmgenidNotifyPlan,
} from "@vmrng/faults";
import type { BootParams, Link } from "@vmrng/wire";
import { type BootPayload, GuestBackends } from "./guest-backends.js";
import { adoptGuestProcess, type GuestProcess, stopGuestProcess } from "./guest-process.js";
import { SeedFile } from "./seed-file.js";
import type { VmSnapshot } from "./snapshot-file.js";
import type { VmRecord } from "./vm-manifest.js";

export type GuestPhase =
  | "stopped"
  | "starting"
  | "running"
  | "paused"
  | "stopping"
  | "crashed"
  | "panicked";

export interface GuestSessionDeps {
  clock: Clock;
  entropy: ByteSource;
  msrHost: RngMsrHost;
  /** Starts the guest process with `token` (the hypervisor owns the log file). */
  spawn: (spec: GuestSpec, token: string) => GuestProcess;
  /**
   * Guest tokens are scoped to one process incarnation: `admit` registers the token of a new
   * incarnation and returns it, `revoke` drops an old one, so a stray process of an earlier
   * incarnation (left by a hypervisor killed mid-restart) is refused at the upgrade (401).
   */
  admit?: (id: string, incarnation: string) => string;
  revoke?: (id: string, incarnation: string) => void;
  /** Called whenever what the VM manifest records (phase, pid, boot) changed. */
  onChange?: () => void;
  /** Writes the VM manifest now (before a spawn: a successor must know of every process). */
  persistNow?: () => void;
  /** The faults armed on this guest (of one layer), in arming order (see HypervisorFaults). */
  faults?: (layer?: FaultLayer) => ValidFault[];
  /** Reports to the host: state changes, device errors, boot seeds. */
  emit: (
    kind: string,
    level: "info" | "warn" | "error",
    message: string,
    data?: Record<string, unknown>,
  ) => void;
  /** The exit code a guest uses after a kernel panic. */
  panicExitCode: number;
  /** Where the per-VM seed files live (run dir seeds/); absent: seeds straight from the DRBG. */
  seedDir?: string;
}

/**
 * One guest VM as the hypervisor sees it: its process, its Link, and its device backends. It
 * answers the guest's device accesses (virtio-rng buffers, CPUID/RDMSR/WRMSR, vmgenid reads) and
 * carries out lifecycle commands. Anything malformed a guest sends is logged as a device error
 * and answered the way the real device would (a #GP, an unused descriptor), never a crash.
 */
export class GuestSession {
  phase: GuestPhase = "stopped";
  child: GuestProcess | null = null;
  link: Link | null = null;
  /** The current process accepted a boot or a saved state: a reconnect is a rejoin, not a boot. */
  booted = false;
  /** The kernel reported a panic: an adopted process's unknown exit code means "panicked". */
  private panicSeen = false;
  /** Names the current process; its token derives from it (see GuestSessionDeps.admit). */
  incarnation: string | null = null;
  /** Taken over from our predecessor: its first connection must say what it is. */
  private adopted = false;
  /** Adopted without a known pid: the process must show up (connect) before this fires. */
  private lostTimer: NodeJS.Timeout | undefined;
  /** Used buffers a virtio.stall fault holds back; released when it is cleared. */
  private readonly stalled: { id: number; bytes: Uint8Array }[] = [];
  /** The last used buffer delivered (virtio.repeat answers it again). */
  private lastUsed: Uint8Array | undefined;
  /** Counts attacker-known values handed out (malicious), so each is recomputable. */
  private attackerCounter = 0;
  /** The last seed handed to a boot (seed.replayed hands it again). */
  private lastSeed: Uint8Array | undefined;
  backends: GuestBackends;
  /** The first boot's seed, replayed at later boots under the `replayed` policy. */
  private replaySeed: Uint8Array | undefined;
  private wake: NodeJS.Timeout | undefined;
  /** Used buffers waiting for the guest's Link to drain (never dropped while it is open). */
  private readonly usedBacklog: { id: number; bytes: Uint8Array }[] = [];
  private drainWait: Promise<void> | null = null;
  private stopping = false;
  private notifyTimer: NodeJS.Timeout | undefined;
  /** kexec: the seed the previous kernel handed on (null: none), used by the next attach. */
  private kexecSeed: Uint8Array | null | undefined;
  /** How many kexecs this VM went through since its cold boot. */
  kexecs = 0;
  /** The VM whose snapshot this one resumed from (clone, restore), for status. */
  readonly resumedFrom: string | null;
  /** Resolves once the guest runs (booted or resumed); rejects if it dies first. */
  private runningWaiters: { ok: () => void; fail: (e: Error) => void }[] = [];

  /**
   * `from`: start this VM from a snapshot (restore or clone) instead of a cold boot: its
   * first start sends `guest.load` with the saved state, later restarts boot normally.
   */
  constructor(
    readonly spec: GuestSpec,
    private readonly deps: GuestSessionDeps,
    private from: VmSnapshot | null = null,
    /**
     * A hypervisor restart: the VM runs on in `process`; its device identity (vmgenid id,
     * VMClock counter) is the one it had, not a new generation. It rejoins when it reconnects.
     */
    adopted?: {
      /** null: our predecessor died between the spawn and recording its pid. */
      process: GuestProcess | null;
      incarnation: string;
      /** No process turns up within this many ms: boot it afresh (true) or call it crashed. */
      lost: { afterMs: number; restart: boolean };
      booted: boolean;
      resumedFrom: string | null;
      kexecs: number;
      vmgenidId: Uint8Array | null;
      generationCounter: bigint | null;
    },
  ) {
    this.resumedFrom = adopted ? adopted.resumedFrom : (from?.vm ?? null);
    if (adopted) {
      this.from = null;
      this.kexecs = adopted.kexecs;
      this.backends = new GuestBackends({
        ...this.backendOptions(),
        resumeFrom: {
          vmgenidId: adopted.vmgenidId,
          generationCounter: adopted.generationCounter,
          newGeneration: false,
        },
      });
      this.adopted = true;
      this.incarnation = adopted.incarnation;
      this.deps.admit?.(this.id, adopted.incarnation);
      this.booted = adopted.booted;
      if (adopted.process) this.watch(adopted.process);
      else {
        const { afterMs, restart } = adopted.lost;
        this.lostTimer = setTimeout(() => {
          if (this.child || this.link) return;
          this.deps.emit("vm.lost", "warn", `${this.id}: its process never reconnected`, {
            incarnation: adopted.incarnation,
          });
          if (restart) this.start();
          else this.setPhase("crashed", { lost: true });
        }, afterMs);
      }
      this.setPhase(adopted.booted ? "running" : "starting", { adopted: true });
    } else {
      this.backends = this.freshBackends();
    }
  }

  get id(): string {
    return this.spec.id;
  }

  private backendOptions() {
    return {
      spec: this.spec,
      clock: this.deps.clock,
      entropy: this.deps.entropy,
      msrHost: this.deps.msrHost,
      ...(this.deps.seedDir
        ? { seedFile: new SeedFile(join(this.deps.seedDir, `${this.spec.id}.seed`)) }
        : {}),
    };
  }

  private freshBackends(): GuestBackends {
    return new GuestBackends({
      ...this.backendOptions(),
      ...(this.replaySeed ? { replaySeed: this.replaySeed } : {}),
      ...(this.from
        ? {
            resumeFrom: {
              vmgenidId: this.from.vmgenidId,
              generationCounter: this.from.generationCounter,
            },
          }
        : {}),
    });
  }

  /** Waits until the guest is running (a boot accepted, or a saved state resumed). */
  whenRunning(): Promise<void> {
    if (this.phase === "running") return Promise.resolve();
    return new Promise((ok, fail) => this.runningWaiters.push({ ok, fail }));
  }

  private setPhase(phase: GuestPhase, data: Record<string, unknown> = {}): void {
    this.phase = phase;
    if (phase === "running" || phase === "crashed" || phase === "panicked" || phase === "stopped") {
      const waiters = this.runningWaiters.splice(0);
      for (const w of waiters) {
        if (phase === "running") w.ok();
        else w.fail(new Error(`${this.id} is ${phase}`));
      }
    }
    const level = phase === "crashed" || phase === "panicked" ? "error" : "info";
    this.deps.emit("vm.state", level, `${this.id}: ${phase}`, {
      state: phase,
      ...(this.child ? { pid: this.child.pid } : {}),
      ...data,
    });
    this.deps.onChange?.();
  }

  /** The kernel panicked (its event passed through us): remembered for an adopted process. */
  notePanic(): void {
    this.panicSeen = true;
  }

  /** Follows `child` until it exits, then records how it ended. */
  private watch(child: GuestProcess): void {
    this.child = child;
    void child.exited.then((code) => {
      if (this.child !== child) return;
      this.detachLink();
      const data = code === null ? { code: null, adopted: true } : { code };
      if (this.stopping) this.setPhase("stopped", data);
      else if (code === this.deps.panicExitCode || (code === null && this.panicSeen))
        this.setPhase("panicked", data);
      else this.setPhase("crashed", data);
    });
  }

  /** Cold boot: a new process, a new boot image. */
  start(): void {
    if (
      this.child &&
      this.phase !== "stopped" &&
      this.phase !== "crashed" &&
      this.phase !== "panicked"
    )
      return;
    this.stopping = false;
    this.booted = false;
    this.panicSeen = false;
    clearTimeout(this.lostTimer);
    const old = this.incarnation;
    const incarnation = randomBytes(8).toString("hex");
    this.incarnation = incarnation;
    if (old) this.deps.revoke?.(this.id, old);
    const token = this.deps.admit?.(this.id, incarnation) ?? "";
    // Write-ahead: the manifest names this incarnation before its process exists, so if we
    // die right after the spawn our successor still admits (and adopts) that process.
    this.child = null;
    this.phase = "starting";
    this.deps.persistNow?.();
    this.watch(this.deps.spawn(this.spec, token));
    this.setPhase("starting");
  }

  /** The guest connected: hand it the boot image and the platform configuration. */
  async attach(link: Link): Promise<void> {
    if (this.link && this.link !== link) this.detachLink();
    this.link = link;
    link.on("close", () => {
      if (this.link === link) this.detachLink();
    });
    if (this.booted || this.adopted) {
      // A process we did not start ourselves, or one already booted: ask it what it is.
      this.adopted = false;
      const st = await link
        .request({ t: "status.get", nodes: [this.id] }, { timeoutMs: 5000 })
        .catch((err: Error) => err);
      if (!(st instanceof Error)) {
        const pid = st.nodes[0]?.pid;
        if (!this.child && pid) this.watch(adoptGuestProcess(pid));
        clearTimeout(this.lostTimer);
        this.booted = true;
        await this.rejoin(link);
        return;
      }
      if (!/has not booted yet/.test(st.message)) throw st;
      // Started but never booted (our predecessor died before its boot): boot it now.
      this.booted = false;
      clearTimeout(this.lostTimer);
    }
    if (this.from) {
      await this.resumeSaved(link, this.from);
      return;
    }
    const kexecSeed = this.kexecSeed;
    this.kexecSeed = undefined;
    const seedFault =
      kexecSeed === undefined
        ? bootSeedOverride(
            this.faults("boot").concat(this.faults("device")),
            this.lastSeed,
            this.attackerCounter++,
          )
        : null;
    const boot =
      kexecSeed !== undefined
        ? this.backends.buildKexecBoot(kexecSeed)
        : this.backends.buildBoot(
            seedFault === null
              ? undefined
              : seedFault.kind === "absent" || seedFault.kind === "zero"
                ? seedFault
                : { kind: "given", seed: seedFault.seed },
          );
    if (boot.seed) this.lastSeed = boot.seed.slice();
    if (kexecSeed !== undefined) {
      this.deps.emit(
        "boot.seed",
        "info",
        `${this.id}: setup_data ${kexecSeed ? "SETUP_RNG_SEED (kexec)" : "without a seed (kexec: the old CRNG was not ready)"}`,
        {
          policy: "kexec",
          kexec: this.kexecs,
          ...(kexecSeed ? { seed: Buffer.from(kexecSeed).toString("hex") } : {}),
        },
      );
      await this.sendBoot(link, boot);
      return;
    }
    if (this.spec.seed !== "replayed" || !this.replaySeed)
      this.replaySeed ??= boot.seed ?? undefined;
    this.deps.emit(
      "boot.seed",
      "info",
      `${this.id}: setup_data ${boot.seed ? `SETUP_RNG_SEED (${seedFault ? `fault: ${seedFault.kind}` : this.spec.seed})` : "without a seed"}`,
      {
        policy: seedFault ? `fault:${seedFault.kind}` : this.spec.seed,
        ...(boot.seed ? { seed: Buffer.from(boot.seed).toString("hex") } : {}),
      },
    );
    await this.sendBoot(link, boot);
  }

  private async sendBoot(link: Link, boot: BootPayload): Promise<void> {
    try {
      await link.request(this.bootParams(boot), { timeoutMs: 10_000 });
    } catch (err) {
      // The kernel already runs: we were restarted between handing it a boot and its answer.
      // The seed just drawn was never handed over, so nothing is handed out twice.
      if ((err as { code?: string }).code === "E_REMOTE" && /already booted/.test(String(err))) {
        this.booted = true;
        await this.rejoin(link);
        return;
      }
      throw err;
    }
    this.booted = true;
    if (this.phase === "starting") this.setPhase("running");
    else this.deps.onChange?.();
  }

  /**
   * A running guest reconnected: after a link failure, or to a restarted hypervisor. Its
   * devices carry on (the guest re-posts its in-flight virtio buffer, as a vhost-user backend
   * reconnect resubmits inflight descriptors); nothing is booted again.
   */
  private async rejoin(link: Link): Promise<void> {
    this.backends.virtio?.reset();
    this.deps.emit("vm.rejoin", "info", `${this.id}: reconnected to its hypervisor`, {
      pid: this.child?.pid ?? null,
    });
    if (this.link === link && this.phase === "starting") this.setPhase("running");
  }

  /**
   * Restore/clone: the devices already hold the new generation (GuestBackends.resumeFrom), so
   * the guest resumes from the saved state with the bumped VMClock page; the ACPI Notify(0x80)
   * for the new vmgenid follows after vmgenid.notifyDelayMs, and the guest runs meanwhile:
   * that is the real duplicate-output window (QEMU raises the notify after the VM runs again).
   */
  private async resumeSaved(link: Link, snap: VmSnapshot): Promise<void> {
    const page = this.backends.vmclock?.page();
    this.deps.emit("vm.restore", "info", `${this.id}: resuming from a snapshot of ${snap.vm}`, {
      from: snap.vm,
      vtimeMs: snap.vtimeMs,
      ...(this.backends.vmgenid
        ? { vmgenid: Buffer.from(this.backends.vmgenid.id).toString("hex") }
        : {}),
      ...(this.backends.vmclock ? { counter: this.backends.vmclock.generationCounter } : {}),
    });
    await link.request(
      {
        t: "guest.load",
        state: snap.state,
        vtimeMs: snap.vtimeMs,
        ...(page ? { vmclockPage: page } : {}),
      },
      { timeoutMs: 10_000 },
    );
    // Later restarts of this VM are cold boots.
    this.from = null;
    this.booted = true;
    if (this.phase === "starting") this.setPhase("running");
    const dev = this.backends.vmgenid;
    if (dev) {
      // Device faults shape this generation change: lost, delayed, duplicated, unchanged id.
      const plan = vmgenidNotifyPlan(this.faults("device"), this.attackerCounter++);
      if (plan.drop) {
        this.deps.emit(
          "vmgenid.notify",
          "warn",
          `${this.id}: ACPI Notify(VGEN, 0x80) lost (fault)`,
          { lost: true },
        );
        return;
      }
      if (plan.unchangedId) dev.writeId(snap.vmgenidId ?? dev.id);
      else if (plan.id) dev.writeId(plan.id);
      clearTimeout(this.notifyTimer);
      this.notifyTimer = setTimeout(() => {
        for (let i = 0; i < plan.times; i++)
          this.notifyVmgenid(link, plan.delayMs > 0 || plan.times > 1 || plan.unchangedId);
      }, this.spec.vmgenid.notifyDelayMs + plan.delayMs);
    }
  }

  /** Raises the vmgenid ACPI Notify(0x80) on the guest (the driver re-reads the id). */
  private notifyVmgenid(link: Link, faulted: boolean): void {
    if (this.link !== link) return;
    try {
      link.send({ t: "vmgenid.notify", event: 0x80 });
      this.deps.emit(
        "vmgenid.notify",
        faulted ? "warn" : "info",
        `${this.id}: ACPI Notify(VGEN, 0x80)${faulted ? " (faulted)" : ""}`,
        {
          vmgenid: Buffer.from(this.backends.vmgenid?.id ?? new Uint8Array()).toString("hex"),
        },
      );
    } catch {
      // the guest went away before its notify
    }
  }

  private faults(layer?: FaultLayer): ValidFault[] {
    return this.deps.faults?.(layer) ?? [];
  }

  /** A device fault was armed on this guest. */
  onFaultArmed(spec: ValidFault): void {
    // A notify whose id did not change, at once: the driver must ignore it (vmgenid_notify's
    // memcmp early return), with no reseed and no uevent.
    if (spec.kind === "vmgenid.unchanged" && this.link && this.backends.vmgenid)
      this.notifyVmgenid(this.link, true);
  }

  /** A device fault was cleared: what a stall held back goes out now, in order. */
  onFaultCleared(_spec: ValidFault): void {
    if (this.stalled.length > 0) this.deliver(this.stalled.splice(0));
  }

  /** The spec's RDRAND, unless an rdrand.* fault is armed: the CPU this boot gets. */
  private rdrandAtBoot(): BootParams["cpu"]["rdrand"] {
    const s = this.spec;
    const cpuFaults = this.faults("cpu");
    if (!cpuFaults.some((f) => f.kind.startsWith("rdrand.")))
      return { mode: s.rdrand.mode, failProbability: s.rdrand.failProbability };
    const plan = rdrandPlan(cpuFaults);
    return plan.kind === "flaky"
      ? { mode: "flaky", failProbability: plan.failProbability }
      : { mode: plan.kind, failProbability: s.rdrand.failProbability };
  }

  private bootParams(boot: BootPayload): Omit<BootParams, "id"> {
    const s = this.spec;
    return {
      t: "boot.params",
      bootParams: boot.bootParams,
      setupData: boot.setupData,
      cpu: {
        cpus: s.cpus,
        rdrand: this.rdrandAtBoot(),
        coco: s.coco,
        trustCpu: s.trust.cpu,
        trustBootloader: s.trust.bootloader,
        trustMsr: s.trust.msr,
      },
      devices: {
        virtioRng: {
          present: s.virtioRng.enabled,
          queueSize: s.virtioRng.queueSize as BootParams["devices"]["virtioRng"]["queueSize"],
          quality: s.virtioRng.quality,
        },
        msr: {
          present: s.msr.enabled,
          index: this.backends.msr?.msrIndex ?? 0,
          writable: s.msr.writes,
        },
        vmgenid: {
          mode: s.vmgenid.mode,
          ...(this.backends.vmclock ? { vmclockPage: this.backends.vmclock.page() } : {}),
        },
      },
      clockRate: s.clockRate,
      irqRate: s.interrupts.perSecond,
      ...(s.userspace?.length ? { userspace: s.userspace } : {}),
    };
  }

  // ---- device accesses from the guest --------------------------------------------------------

  onVirtioAvail(desc: number, len: number): void {
    const dev = this.backends.virtio;
    if (!dev) {
      this.deps.emit(
        "device.error",
        "warn",
        `${this.id}: virtio-rng buffer posted but no device is present`,
      );
      return;
    }
    try {
      dev.post({ id: desc, len });
    } catch (err) {
      const code = err instanceof VirtioRngError ? err.code : "E_INVALID";
      this.deps.emit("device.error", "warn", `${this.id}: virtio-rng: ${(err as Error).message}`, {
        code,
      });
      return;
    }
    this.deliver(dev.kick());
  }

  /**
   * Puts used buffers on the guest's used ring. A used ring never loses an element: when the
   * guest's Link is full (the guest is not reading), the rest wait in order and go out once it
   * drains. Only a guest that is gone (link closed) loses them, as on a device reset.
   */
  private deliver(used: { id: number; bytes: Uint8Array }[]): void {
    const faults = this.faults("device");
    if (faults.length > 0) used = this.faultUsed(used, faults);
    if (used.length > 0) this.lastUsed = used[used.length - 1]!.bytes;
    this.usedBacklog.push(...used);
    this.flushUsed();
    this.armWake();
  }

  /** What the device puts in the used ring under virtio faults (stall, short, zeros, repeat). */
  private faultUsed(used: { id: number; bytes: Uint8Array }[], faults: ValidFault[]) {
    const plan = virtioFaultFor(faults, this.attackerCounter);
    if (plan.healthy) return used;
    const out: { id: number; bytes: Uint8Array }[] = [];
    let previous = this.lastUsed;
    for (const u of used) {
      if (plan.content === "attacker") this.attackerCounter++;
      const a = plan.answer(u.bytes.length, u.bytes, previous);
      if (!a.deliver) {
        this.stalled.push(u);
        continue;
      }
      out.push({ id: u.id, bytes: a.bytes });
      previous = a.bytes;
    }
    return out;
  }

  private flushUsed(): void {
    const link = this.link;
    if (link?.state !== "open") {
      this.usedBacklog.length = 0;
      return;
    }
    while (this.usedBacklog.length > 0) {
      const u = this.usedBacklog[0]!;
      try {
        link.send({ t: "virtio.used", desc: u.id, data: u.bytes });
      } catch (err) {
        if ((err as { code?: string }).code !== "E_BACKPRESSURE") {
          this.usedBacklog.length = 0;
          return;
        }
        if (!this.drainWait) {
          this.drainWait = link
            .waitWritable()
            .catch(() => undefined)
            .then(() => {
              this.drainWait = null;
              if (this.link === link) this.flushUsed();
            });
        }
        return;
      }
      this.usedBacklog.shift();
    }
  }

  /** Rate-limited requests wait for the limiter's timer (Firecracker's RateLimiter event). */
  private armWake(): void {
    const dev = this.backends.virtio;
    clearTimeout(this.wake);
    const at = dev?.nextWakeAt();
    if (!dev || at === null || at === undefined) return;
    this.wake = setTimeout(() => this.deliver(dev.poll()), Math.max(0, at - this.deps.clock.now()));
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async stop(graceMs = 3000): Promise<void> {
    if (!this.child || this.phase === "stopped") return;
    this.stopping = true;
    // A paused process cannot act on SIGTERM until it runs again.
    if (this.phase === "paused") this.child.signal("SIGCONT");
    this.setPhase("stopping");
    await stopGuestProcess(this.child, graceMs);
  }

  kill(): void {
    this.stopping = true;
    this.child?.signal("SIGKILL");
  }

  /** A process fault: SIGKILL without the stop bookkeeping, so it shows as a crash. */
  crash(): void {
    this.child?.signal("SIGKILL");
  }

  pause(): void {
    if (this.child && this.phase === "running") {
      this.child.signal("SIGSTOP");
      this.setPhase("paused");
    }
  }

  resume(): void {
    if (this.child && this.phase === "paused") {
      this.child.signal("SIGCONT");
      this.setPhase("running");
    }
  }

  /**
   * kexec: the running kernel hands the next one a seed from its own CRNG (guest.kexec), then
   * this kernel is gone and the next one boots in the same VM (same devices, same vmgenid)
   * with that seed in setup_data. A new guest process plays the new kernel.
   */
  async kexec(): Promise<Uint8Array | null> {
    if (!this.link || this.phase !== "running") {
      throw new Error(`cannot kexec ${this.id}: it is ${this.phase}`);
    }
    const r = await this.link.request({ t: "guest.kexec" }, { timeoutMs: 10_000 });
    const seed = r.seed ?? null;
    await this.stop(0);
    const vmgenidId = this.backends.vmgenid?.id ?? null;
    const generationCounter = this.backends.vmclock?.generationCounter ?? null;
    this.backends.detach();
    this.backends = new GuestBackends({
      ...this.backendOptions(),
      resumeFrom: { vmgenidId, generationCounter, newGeneration: false },
    });
    this.kexecs += 1;
    this.kexecSeed = seed;
    this.deps.emit(
      "kexec",
      "info",
      `${this.id}: kexec #${this.kexecs} (old kernel at ${r.vtimeMs.toFixed(0)} ms)`,
      {
        kexec: this.kexecs,
        seeded: seed !== null,
        fromVtimeMs: r.vtimeMs,
      },
    );
    this.start();
    await this.whenRunning();
    return seed;
  }

  async restart(): Promise<void> {
    await this.stop();
    this.backends.detach();
    this.backends = this.freshBackends();
    this.start();
  }

  private detachLink(): void {
    clearTimeout(this.wake);
    clearTimeout(this.notifyTimer);
    this.usedBacklog.length = 0;
    this.link = null;
  }

  /** What the VM manifest keeps of this VM, so a restarted hypervisor can take it back. */
  record(): VmRecord {
    const gone = this.phase === "stopped" || this.phase === "crashed" || this.phase === "panicked";
    return {
      id: this.id,
      spec: this.spec,
      pid: gone ? null : (this.child?.pid ?? null),
      incarnation: gone ? null : this.incarnation,
      booted: this.booted,
      resumedFrom: this.resumedFrom,
      kexecs: this.kexecs,
      vmgenidId: this.backends.vmgenid
        ? Buffer.from(this.backends.vmgenid.id).toString("hex")
        : null,
      generationCounter: this.backends.vmclock?.generationCounter.toString() ?? null,
    };
  }
}
