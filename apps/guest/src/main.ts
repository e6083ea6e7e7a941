#!/usr/bin/env node
import { randomBytes } from "node:crypto";
import { fstatSync } from "node:fs";
import type { GuestSpec } from "@vmrng/cluster";
import { exitWithParent, GUEST_PANIC_EXIT_CODE } from "@vmrng/cluster";
import { DEFAULT_ZERO_PAGE_ADDR, type RngInstructionMode } from "@vmrng/devices";
import {
  clockJumpMs,
  clockRate,
  linkToxicsFor,
  rdrandPlan,
  type ValidFault,
  validateFaultSpec,
} from "@vmrng/faults";
import {
  type BootParams,
  connectLink,
  type ErrnoName,
  type Event,
  type LogLine,
  WireError,
} from "@vmrng/wire";
import { dialHypervisor } from "./dial.js";
import { earlyStart } from "./early.js";
import {
  type GuestEvent,
  GuestKernel,
  GuestSyscallError,
  type KernelLogLine,
} from "./kernel/index.js";
import { toOpenData } from "./open-data.js";
import { specFromBoot } from "./spec-from-boot.js";
import { decodeState, encodeState } from "./state-codec.js";
import { kernelUserspaceApi, UserspaceError, UserspaceRunner } from "./userspace/index.js";

/**
 * One guest VM: a thin process around the emulated kernel. It takes its boot image and
 * platform from the hypervisor, forwards device accesses over the Link, keeps one wall-clock
 * timer for the kernel's next wake-up, and serves "userspace" requests (getrandom, reads).
 */
// The bundled guest dialled before loading this module (scripts/guest-start.cjs, dial.ts); run
// as ES modules (dist/main.js), it dials here.
const { id, url, token, firstUpgrade } = earlyStart() ?? dialHypervisor();

const PRINTK_LEVELS = [
  "emerg",
  "alert",
  "crit",
  "err",
  "warning",
  "notice",
  "info",
  "debug",
] as const;
/** Coarsest wall-clock step between polls: late polls are harmless (see GuestTransport). */
const MIN_TIMER_MS = 10;
/**
 * A VM outlives its hypervisor process: when the link drops, the guest keeps running on its
 * CRNG and reconnects (to the restarted hypervisor, which takes it back). Unreachable for this
 * long, it powers off: nobody can talk to it, and an orphan must not run forever.
 */
const ORPHAN_GRACE_MS = Number(process.env.VMRNG_ORPHAN_GRACE_MS ?? 30_000);
/** Events kept while the hypervisor is away, sent when it is back (oldest dropped beyond). */
const OUTBOX_MAX = 10_000;

const hv = connectLink({
  url,
  token,
  role: "guest",
  node: id,
  expect: { role: "hypervisor" },
  reconnect: { initialMs: 50, maxMs: 500 },
  ...(firstUpgrade ? { firstUpgrade } : {}),
});
let kernel: GuestKernel | null = null;
const outbox: Event[] = [];

function needKernel(): GuestKernel {
  if (!kernel) throw new WireError("E_CONFLICT", `guest ${id} has not booted yet`);
  return kernel;
}

function sendLog(l: KernelLogLine): void {
  const msg: LogLine = {
    t: "log.line",
    node: id,
    vtimeMs: l.at,
    level: PRINTK_LEVELS.indexOf(l.level),
    text: l.text.slice(0, 1024),
  };
  console.log(l.line);
  try {
    if (hv.state === "open") {
      hv.send(msg);
      // A console line goes out when it is printed, as on a serial console: not at the end of
      // whatever the kernel does next in the same tick (crng READY would wait for the boot).
      hv.link?.flush();
    }
  } catch {
    // the hypervisor is not reading; the line is still in our log file
  }
}

/**
 * An event for the history. While the hypervisor is away it waits in the outbox (the history
 * must not miss what happened meanwhile); under backpressure it is dropped (best effort).
 */
function forwardEvent(ev: Event): void {
  if (hv.state !== "open") {
    if (outbox.push(ev) > OUTBOX_MAX) outbox.shift();
    return;
  }
  try {
    hv.send(ev);
  } catch {
    // dropped under backpressure
  }
}

function sendEvent(e: GuestEvent): void {
  if (e.kind === "log") return; // log lines travel as log.line
  const level: Event["level"] = e.kind === "panic" || e.kind === "driver-error" ? "error" : "info";
  const data = e.data ? (toOpenData(e.data) as Event["data"]) : undefined;
  forwardEvent({
    t: "event",
    node: id,
    vtimeMs: e.at,
    kind: e.kind,
    level,
    message: e.message.slice(0, 4096),
    ...(data ? { data } : {}),
  });
}

/** An in-guest program's event (userspace.*), into the history like the kernel's. */
function sendProgramEvent(
  kind: string,
  message: string,
  data: Record<string, unknown>,
  vtimeMs: number,
): void {
  forwardEvent({
    t: "event",
    node: id,
    vtimeMs,
    kind,
    level: kind === "userspace.error" ? "warn" : "info",
    message: message.slice(0, 4096),
    data: toOpenData(data) as Event["data"],
  });
}

let programs: UserspaceRunner | null = null;
/** Starts the configured userspace programs: fresh after boot, from `saved` after a restore. */
function startPrograms(k: GuestKernel, saved?: unknown): void {
  const configs = platform?.userspace ?? [];
  if (configs.length === 0) return;
  const api = kernelUserspaceApi(k, {
    clockRate: () => platform?.clockRate ?? 1,
    emit: sendProgramEvent,
  });
  programs = new UserspaceRunner(api, configs, saved);
  programs.start();
  console.log(`${id}: userspace: started ${programs.names.join(", ")}`);
}

/** What a saved guest carries besides its kernel: the platform it was booted with. */
type Platform = Omit<BootParams, "t" | "id" | "bootParams" | "setupData">;
const GUEST_STATE_FORMAT = "vmrng-guest-process/1";
let platform: Platform | null = null;
let hadSeed = false;
let clockControl: { setRate(rate: number): void; jump(ms: number): void } | null = null;

/**
 * Builds the kernel, its devices reached through the hypervisor client: a cold boot from
 * `boot`, or a restore of `restore.snapshot` whose virtual clock continues from `restore.vtimeMs`.
 */
function makeKernel(
  p: Platform,
  spec: GuestSpec,
  start: { boot: BootParams } | { restore: unknown; vtimeMs: number; vmclockPage?: Uint8Array },
): GuestKernel {
  let rate = p.clockRate;
  // Virtual time starts at the kernel's first clock read in boot(), after the loader's image
  // is in memory: early boot prints [    0.000000] as on real hardware, however long this
  // process took to get there. A restored kernel continues from the snapshot's time.
  let base = "boot" in start ? 0 : start.vtimeMs;
  let armed = !("boot" in start);
  let t0: number | null = null;
  const clock = {
    now: (): number => {
      if (!armed) return base;
      t0 ??= performance.now();
      return base + (performance.now() - t0) * rate;
    },
  };
  // clock.skew faults: a new rate from now on (time stays continuous), or a jump forward.
  clockControl = {
    setRate: (r: number) => {
      base = clock.now();
      t0 = performance.now();
      rate = r;
      k.poll();
    },
    jump: (ms: number) => {
      base += ms;
      k.poll();
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const options = {
    spec,
    clock,
    randomBytes: (n: number) => new Uint8Array(randomBytes(n)),
    virtioRngQuality: spec.virtioRng.quality,
    // Real nanoseconds: genuine timing jitter, so identical starved guests still diverge.
    tsc: () => process.hrtime.bigint(),
    // Through the client, not `l`: after a reconnect the devices are reached on the new Link.
    transport: {
      virtioPost: (d: { id: number; len: number }) => {
        // The hypervisor is away: the buffer is re-posted when it is back (resubmitInflight).
        if (hv.state === "open") hv.send({ t: "virtio.avail", desc: d.id, len: d.len });
      },
      cpuid: async (leaf: number, subleaf: number) => {
        const r = await hv.request({ t: "msr.cpuid", leaf, subleaf });
        return { eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx };
      },
      rdmsr: async (index: number) => {
        const r = await hv.request({ t: "msr.rdmsr", index });
        return r.t === "msr.value"
          ? { kind: "ok" as const, value: r.value }
          : { kind: "gp" as const, index };
      },
      wrmsr: async (index: number, value: bigint) => {
        const r = await hv.request({ t: "msr.wrmsr", index, value });
        return r.t === "msr.written"
          ? { kind: "ok" as const, value: 0n }
          : { kind: "gp" as const, index };
      },
      readVmgenid: async () => (await hv.request({ t: "vmgenid.read" })).vmgenid,
    },
    onWakeChanged: (at: number | null) => {
      clearTimeout(timer);
      if (at === null) return;
      const wallMs = Math.max(MIN_TIMER_MS, (at - clock.now()) / rate);
      timer = setTimeout(() => k.poll(), wallMs);
    },
  };
  let k: GuestKernel;
  if ("boot" in start) {
    const msg = start.boot;
    k = new GuestKernel({
      ...options,
      boot: {
        image: {
          zeroPageAddr: DEFAULT_ZERO_PAGE_ADDR,
          regions: [
            { addr: DEFAULT_ZERO_PAGE_ADDR, bytes: msg.bootParams },
            ...msg.setupData.map((n) => ({ addr: n.gpa, bytes: n.data })),
          ],
        },
        ...(msg.devices.vmgenid.vmclockPage
          ? { vmclockPage: msg.devices.vmgenid.vmclockPage }
          : {}),
      },
    });
  } else {
    // Log lines and events of the restore itself go out through the listener below.
    k = GuestKernel.restore(
      start.restore,
      options,
      start.vmclockPage ? { vmclockPage: start.vmclockPage } : {},
    );
  }
  k.onEvent((e) => {
    if (e.kind === "log") {
      const last = k.logLines().at(-1);
      if (last) sendLog(last);
    } else sendEvent(e);
  });
  armed = true;
  return k;
}

hv.handle("boot.params", (msg, l) => {
  if (kernel) throw new WireError("E_CONFLICT", `guest ${id} already booted`);
  const { t: _t, id: _id, bootParams: _bp, setupData: _sd, ...p } = msg;
  platform = p;
  hadSeed = msg.setupData.length > 0;
  const k = makeKernel(p, specFromBoot(id, l.peer.node, msg), { boot: msg });
  kernel = k;
  void k.boot().then(async (result) => {
    if (result.kind === "running") startPrograms(k);
    if (result.kind === "panic") {
      // Let the panic lines and event reach the hypervisor, then stop like a halted CPU.
      await l.waitWritable().catch(() => undefined);
      setTimeout(() => process.exit(GUEST_PANIC_EXIT_CODE), 50);
    }
  });
  return undefined;
});

/** Snapshot: the kernel's complete state (serialize() runs in one turn: the guest is paused). */
hv.handle("guest.save", () => {
  const k = needKernel();
  if (!platform) throw new WireError("E_CONFLICT", `guest ${id} has no platform to save`);
  let kernelState: unknown;
  try {
    kernelState = k.serialize();
  } catch (err) {
    throw new WireError("E_CONFLICT", `guest ${id}: ${(err as Error).message}`);
  }
  const vtimeMs = (kernelState as { takenAtMs: number }).takenAtMs;
  const state = encodeState({
    format: GUEST_STATE_FORMAT,
    platform,
    hadSeed,
    kernel: kernelState,
    // In the same turn as the kernel: the programs' keys are those of this instant.
    ...(programs ? { userspace: programs.save() } : {}),
  });
  return { t: "guest.state", state, vtimeMs };
});

/** Restore or clone: resume a saved kernel instead of booting. */
hv.handle("guest.load", (msg, l) => {
  if (kernel) throw new WireError("E_CONFLICT", `guest ${id} is already running`);
  const saved = decodeState(msg.state) as {
    format?: unknown;
    platform?: Platform;
    hadSeed?: boolean;
    kernel?: unknown;
    userspace?: unknown;
  };
  if (saved?.format !== GUEST_STATE_FORMAT || !saved.platform || !saved.kernel) {
    throw new WireError("E_INVALID", `guest state format must be ${GUEST_STATE_FORMAT}`);
  }
  platform = saved.platform;
  hadSeed = saved.hadSeed === true;
  const spec = specFromBoot(id, l.peer.node, {
    ...saved.platform,
    t: "boot.params",
    id: 0,
    bootParams: new Uint8Array(0),
    setupData: hadSeed ? [{ gpa: 0n, data: new Uint8Array(0) }] : [],
  });
  try {
    kernel = makeKernel(saved.platform, spec, {
      restore: saved.kernel,
      vtimeMs: msg.vtimeMs,
      ...(msg.vmclockPage ? { vmclockPage: msg.vmclockPage } : {}),
    });
  } catch (err) {
    throw new WireError("E_INVALID", `guest ${id}: cannot restore: ${(err as Error).message}`);
  }
  try {
    // A restored or cloned VM's programs go on from the snapshot: same keys, same counters.
    startPrograms(kernel, saved.userspace);
  } catch (err) {
    if (!(err instanceof UserspaceError)) throw err;
    throw new WireError("E_INVALID", `guest ${id}: userspace: ${err.message}`);
  }
  return undefined;
});

/** kexec: hand the next kernel its seed; the hypervisor then replaces this process. */
hv.handle("guest.kexec", async () => {
  const k = needKernel();
  const seed = await k.kexecSeed();
  return {
    t: "guest.kexec.seed",
    vtimeMs: k.status().uptimeMs,
    ...(seed ? { seed } : {}),
  };
});

// ---- faults the hypervisor hands on: this vCPU's RDRAND, this kernel's clock, our link's end
const armedFaults = new Map<number, ValidFault>();
let bootModes: { rdrand: RngInstructionMode; rdseed: RngInstructionMode } | null = null;
function applyCpuFaults(): void {
  const k = kernel;
  if (!k || !platform) return;
  // What this kernel booted with, before any fault: what clearing the last one goes back to.
  bootModes ??= { rdrand: k.cpu.rdrand.mode, rdseed: k.cpu.rdseed.mode };
  const list = [...armedFaults.values()];
  if (list.some((f) => f.kind.startsWith("rdrand."))) {
    const plan = rdrandPlan(list, new Uint8Array(randomBytes(32)));
    k.cpu.rdrand.setMode(plan);
    k.cpu.rdseed.setMode(plan);
    // A vanished instruction (#UD): the kernel must stop using it, as after clear_cpu_cap().
    if (plan.kind === "absent") {
      k.cpu.clearCap("rdrand");
      k.cpu.clearCap("rdseed");
    }
  } else {
    k.cpu.rdrand.setMode(bootModes.rdrand);
    k.cpu.rdseed.setMode(bootModes.rdseed);
  }
  clockControl?.setRate(platform.clockRate * clockRate(list));
}
hv.handle("fault.add", (msg) => {
  if (msg.fault === undefined)
    throw new WireError("E_INVALID", "fault.add needs the host's fault number");
  let f: ValidFault;
  try {
    f = validateFaultSpec({
      kind: msg.spec.kind,
      target: msg.spec.target,
      params: msg.spec.params as Record<string, unknown>,
    });
  } catch (err) {
    throw new WireError("E_INVALID", (err as Error).message);
  }
  const fresh = !armedFaults.has(msg.fault);
  armedFaults.set(msg.fault, f);
  for (const p of linkToxicsFor(f, `fault-${msg.fault}`)) {
    if (p.side !== "child") continue;
    hv.link?.removeToxic(p.name);
    hv.link?.addToxic(p.name, p.direction, p.toxic);
  }
  applyCpuFaults();
  if (fresh && clockJumpMs(f) > 0) clockControl?.jump(clockJumpMs(f));
  console.log(`${id}: fault ${msg.fault} armed: ${f.kind}`);
  return { t: "fault.added", fault: msg.fault };
});
hv.handle("fault.clear", (msg) => {
  const ids =
    msg.fault === undefined
      ? [...armedFaults.keys()]
      : [msg.fault].filter((n) => armedFaults.has(n));
  for (const n of ids) {
    const f = armedFaults.get(n)!;
    armedFaults.delete(n);
    for (const p of linkToxicsFor(f, `fault-${n}`))
      if (p.side === "child") hv.link?.removeToxic(p.name);
    console.log(`${id}: fault ${n} cleared: ${f.kind}`);
  }
  applyCpuFaults();
  return { t: "fault.cleared", cleared: ids.length };
});
hv.handle("fault.list", () => ({
  t: "fault.listed",
  faults: [...armedFaults].map(([fault, f]) => ({
    fault,
    spec: { kind: f.kind, target: f.target, params: f.params as never },
    active: true,
  })),
}));

hv.handle("virtio.used", (msg) => kernel?.onVirtioUsed(msg.desc, msg.data));
hv.handle("vmgenid.notify", (msg) => void kernel?.onAcpiNotify(msg.event));

/** Userspace: a syscall error becomes rng.errno, exactly as getrandom(2) would report it. */
async function syscall(vm: string, op: () => Promise<Uint8Array>) {
  try {
    return { t: "rng.data" as const, vm, data: await op() };
  } catch (err) {
    if (err instanceof GuestSyscallError)
      return { t: "rng.errno" as const, vm, errno: err.code as ErrnoName };
    throw err;
  }
}
hv.handle("rng.getrandom", (msg) => syscall(id, () => needKernel().getrandom(msg.len, msg.flags)));
hv.handle("rng.read", (msg) => {
  const k = needKernel();
  const nonblock = msg.nonblock === true;
  switch (msg.source) {
    case "random":
      return syscall(id, () => k.readRandom(msg.len, { nonblock }));
    case "urandom":
      return syscall(id, () => k.readUrandom(msg.len, { comm: "vmrng" }));
    case "hwrng":
      return syscall(id, () => k.readHwrng(msg.len, { nonblock }));
  }
});
hv.handle("mem.read", (msg) => {
  const mem = needKernel().memory;
  if (!mem) throw new WireError("E_NOT_FOUND", `guest ${id} has no memory image`);
  try {
    return { t: "mem.data", vm: id, gpa: msg.gpa, data: mem.read(msg.gpa, msg.len) };
  } catch (err) {
    throw new WireError(
      "E_INVALID",
      `mem.read at 0x${msg.gpa.toString(16)}: ${(err as Error).message}`,
    );
  }
});
/** Userspace MSR access (msr-tools): executed by this vCPU, answered by the hypervisor. */
hv.handle("cpu.rdmsr", async (msg) => {
  needKernel();
  const r = await hv.request({ t: "msr.rdmsr", index: msg.index });
  return r.t === "msr.value"
    ? { t: "msr.value", index: msg.index, value: r.value }
    : { t: "msr.gp", index: msg.index };
});
hv.handle("cpu.wrmsr", async (msg) => {
  needKernel();
  const r = await hv.request({ t: "msr.wrmsr", index: msg.index, value: msg.value });
  return r.t === "msr.written"
    ? { t: "msr.written", index: msg.index }
    : { t: "msr.gp", index: msg.index };
});
hv.handle("log.read", (msg) => {
  const lines = needKernel()
    .logLines()
    .filter((l) => msg.sinceMs === undefined || l.at >= msg.sinceMs);
  const n = msg.lines ?? 1000;
  const tail = lines.slice(-n);
  return {
    t: "log.lines",
    node: id,
    lines: tail.map((l) => ({
      vtimeMs: l.at,
      level: PRINTK_LEVELS.indexOf(l.level),
      text: l.text.slice(0, 1024),
    })),
    more: lines.length > tail.length,
  };
});
hv.handle("status.get", () => {
  const k = needKernel();
  const s = k.status();
  const channels = s.channels.map((c) => ({
    channel: c.channel === "counter" ? ("gencounter" as const) : c.channel,
    requests: BigInt(c.requests),
    bytes: BigInt(c.bytes),
    errors: BigInt(c.errors),
  }));
  return {
    t: "status.report",
    nodes: [
      {
        node: id,
        role: "guest" as const,
        pid: process.pid,
        state: s.phase === "panicked" ? ("panicked" as const) : ("running" as const),
        uptimeMs: s.uptimeMs,
        crng: {
          init: s.crng.init,
          entropyAvail: s.crng.entropyAvail,
          generation: s.crng.generation,
          ...(s.readyAtMs === null ? {} : { readyAtMs: s.readyAtMs }),
          ...(s.readySource === null ? {} : { readySource: s.readySource }),
        },
        channels,
      },
    ],
  };
});

let orphanTimer: NodeJS.Timeout | undefined;
let everOpen = false;
hv.on("state", (c) => {
  if (c.state === "closed") process.exit(kernel?.phase === "panicked" ? GUEST_PANIC_EXIT_CODE : 0);
  if (c.state === "reconnecting" && everOpen && !orphanTimer) {
    console.log(`${id}: lost the hypervisor; running on, reconnecting`);
    orphanTimer = setTimeout(() => {
      console.log(`${id}: no hypervisor for ${ORPHAN_GRACE_MS} ms; powering off`);
      process.exit(0);
    }, ORPHAN_GRACE_MS);
  }
  if (c.state === "open") {
    clearTimeout(orphanTimer);
    orphanTimer = undefined;
    if (everOpen) {
      console.log(`${id}: reconnected to the hypervisor`);
      kernel?.resubmitInflight();
    }
    everOpen = true;
    for (const ev of outbox.splice(0)) {
      try {
        hv.send(ev);
      } catch {
        break;
      }
    }
  }
});
// Started with a pipe on stdin (a test harness, an old hypervisor): leave when the parent does.
// A hypervisor starts guests with stdin closed: they outlive it and rejoin its successor.
if (fstatSync(0).isFIFO()) exitWithParent(() => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
