#!/usr/bin/env node
import { createHmac, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  exitWithParent,
  GUEST_PANIC_EXIT_CODE,
  type GuestSpec,
  isAlive,
  loadResolvedSpec,
  RunDir,
} from "@vmrng/cluster";
import { RngMsrHost } from "@vmrng/devices";
import { msrFaultAnswer } from "@vmrng/faults";
import {
  connectLink,
  createLinkServer,
  type Event,
  relay,
  TokenRegistry,
  WireError,
} from "@vmrng/wire";
import { findGuestBinary } from "./guest-binary.js";
import { adoptGuestProcess, spawnGuestProcess } from "./guest-process.js";
import { GuestSession } from "./guest-session.js";
import { HostEntropy } from "./host-entropy.js";
import { HypervisorFaults } from "./hv-faults.js";
import { registerSnapshotCommands } from "./snapshot-commands.js";
import type { VmSnapshot } from "./snapshot-file.js";
import {
  readVmManifest,
  VM_MANIFEST_FORMAT,
  VmManifestWriter,
  type VmRecord,
} from "./vm-manifest.js";

/**
 * The VMM: serves each guest's devices from its own DRBG (reseeded by the host), builds the boot
 * image, spawns and supervises the guest processes, and routes the host's commands to them.
 */
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) {
    console.error(`hypervisor: ${name} is not set (the host starts hypervisors)`);
    process.exit(2);
  }
  return v;
};
const id = env("VMRNG_NODE_ID");
const runDir = new RunDir(env("VMRNG_RUN_DIR"));
const here = dirname(fileURLToPath(import.meta.url));
// The one-file guest bundle when it is up to date (it starts several times faster), else main.js.
const guestBinary = findGuestBinary(join(here, "../../guest/dist"));
const t0 = performance.now();
const clock = { now: () => performance.now() - t0 };

const spec = loadResolvedSpec(runDir.clusterFile);
const mine = spec.hypervisors.find((h) => h.id === id);
if (!mine) {
  console.error(`hypervisor: ${id} is not in ${runDir.clusterFile}`);
  process.exit(2);
}

const host = connectLink({
  url: env("VMRNG_HOST_URL"),
  token: env("VMRNG_TOKEN"),
  role: "hypervisor",
  node: id,
  expect: { role: "host" },
});
delete process.env.VMRNG_TOKEN;
await host.opened();

/** Events go up to the host, which records the history. */
function emit(
  node: string,
  kind: string,
  level: Event["level"],
  message: string,
  data?: Record<string, unknown>,
  vtimeMs = clock.now(),
): void {
  try {
    host.send({
      t: "event",
      node,
      vtimeMs,
      kind,
      level,
      message,
      ...(data ? { data: data as Event["data"] } : {}),
    });
  } catch {
    console.error(`${node}: ${message}`);
  }
}

const entropy = new HostEntropy(
  async (n) => (await host.request({ t: "entropy.get", len: n })).data,
);
await entropy.start();
const msrHost = new RngMsrHost({ clock, randomBytes: (n) => entropy.generate(n) });

const specGuests = new Set(mine.guests.map((g) => g.id));
/** How long an adopted VM whose pid our predecessor never recorded has to reconnect. */
const ADOPT_WAIT_MS = 5000;
// The VMs a previous incarnation of this hypervisor left running (it was killed), if any.
const manifestPath = join(runDir.root, "vms", `${id}.json`);
const previous = readVmManifest(manifestPath, id);
if (previous.problem)
  emit(id, "hv.manifest", "warn", `ignoring the VM manifest: ${previous.problem}`);

// Guest tokens are derived from a key the host keeps for this hypervisor across restarts, so a
// guest that outlived us can reconnect to our successor with the token it was started with.
const guestKey = process.env.VMRNG_GUEST_KEY
  ? Buffer.from(process.env.VMRNG_GUEST_KEY, "base64url")
  : randomBytes(32);
delete process.env.VMRNG_GUEST_KEY;
const guestToken = (guest: string, incarnation: string): string =>
  createHmac("sha256", guestKey)
    .update(`vmrng guest token\0${guest}\0${incarnation}`)
    .digest("base64url");
const tokens = new TokenRegistry();
/** Listens where the guests that outlived our predecessor will look for us: the same port. */
async function listen() {
  const port = previous.manifest?.port ?? 0;
  try {
    return await createLinkServer({ role: "hypervisor", node: id, tokens, port });
  } catch (err) {
    if (port === 0) throw err;
    emit(
      id,
      "hv.manifest",
      "warn",
      `port ${port} is taken (${(err as Error).message}); running guests cannot rejoin`,
    );
    return createLinkServer({ role: "hypervisor", node: id, tokens });
  }
}
const server = await listen();
const port = server.port;
const sessions = new Map<string, GuestSession>();
const manifest = new VmManifestWriter(manifestPath, () => ({
  format: VM_MANIFEST_FORMAT,
  hypervisor: id,
  port,
  vms: [...sessions.values()].map((s) => s.record()),
}));
/**
 * One guest VM: booted from the cluster file, (restore, clone) started from a snapshot, or
 * (`adopt`) taken over running from our predecessor.
 */
function addSession(g: GuestSpec, from: VmSnapshot | null = null, adopt?: VmRecord): GuestSession {
  const s = new GuestSession(
    g,
    {
      clock,
      entropy,
      msrHost,
      panicExitCode: GUEST_PANIC_EXIT_CODE,
      seedDir: runDir.seedDir,
      emit: (kind, level, message, data) => emit(g.id, kind, level, message, data),
      onChange: () => manifest.schedule(),
      faults: (layer) => faults.faultsFor(g.id, layer),
      persistNow: () => manifest.writeNow(),
      admit: (guest, incarnation) => {
        const token = guestToken(guest, incarnation);
        tokens.add(token, { role: "guest", node: guest });
        return token;
      },
      revoke: (guest, incarnation) => void tokens.revoke(guestToken(guest, incarnation)),
      spawn: (gs, token) =>
        spawnGuestProcess(guestBinary.script, {
          id: gs.id,
          logFile: runDir.logFile(gs.id),
          env: {
            ...process.env,
            VMRNG_HV_URL: server.url,
            VMRNG_TOKEN: token,
            VMRNG_NODE_ID: gs.id,
          },
        }),
    },
    from,
    adopt?.incarnation
      ? {
          process: adopt.pid !== null ? adoptGuestProcess(adopt.pid) : null,
          incarnation: adopt.incarnation,
          lost: { afterMs: ADOPT_WAIT_MS, restart: specGuests.has(adopt.id) },
          booted: adopt.booted,
          resumedFrom: adopt.resumedFrom,
          kexecs: adopt.kexecs,
          vmgenidId: adopt.vmgenidId ? Buffer.from(adopt.vmgenidId, "hex") : null,
          generationCounter:
            adopt.generationCounter === null ? null : BigInt(adopt.generationCounter),
        }
      : undefined,
  );
  sessions.set(g.id, s);
  manifest.schedule();
  return s;
}
// Take back every VM still running; start the cluster file's guests that are not.
const adopted = new Set<string>();
for (const vm of previous.manifest?.vms ?? []) {
  // A process with a known pid that is gone is not coming back; one without a recorded pid
  // (we died right after spawning it) may still be starting: it gets ADOPT_WAIT_MS to connect.
  if (vm.incarnation && (vm.pid === null || isAlive(vm.pid))) {
    addSession({ ...vm.spec, id: vm.id, hypervisor: id }, null, vm);
    adopted.add(vm.id);
  }
}
if (adopted.size > 0) {
  emit(
    id,
    "hv.adopted",
    "info",
    `hypervisor ${id} restarted: took back ${adopted.size} running VM(s): ${[...adopted].join(", ")}`,
    { vms: [...adopted] },
  );
}
for (const g of mine.guests) if (!adopted.has(g.id)) addSession(g);

function session(node: string): GuestSession {
  const s = sessions.get(node);
  if (!s) throw new WireError("E_NOT_FOUND", `no guest "${node}" on hypervisor ${id}`);
  return s;
}
/** The session of the guest on the other end of `link` (its token fixed who it is). */
const sessionOf = (link: { peer: { node: string } }): GuestSession => session(link.peer.node);
function guestLink(node: string) {
  const s = session(node);
  if (!s.link) throw new WireError("E_CLOSED", `guest "${node}" is ${s.phase}, not connected`);
  return s.link;
}
/**
 * A host request for guest `vm`, relayed unless a partition cuts `vm` from the host: then it
 * is dropped like a packet (never answered; the requester times out), as in a real partition.
 */
function toGuest<R>(vm: string, forward: () => Promise<R>): Promise<R> {
  if (faults.cutFromHost(vm)) return new Promise<R>(() => undefined);
  return forward();
}

// ---- faults: the host numbers them, this hypervisor applies those on its guests' links,
// devices and processes, and hands CPU/clock faults to the guest that owns them
const faults = new HypervisorFaults({
  id,
  host,
  session: (node) => sessions.get(node),
  emit: (node, kind, level, message, data) =>
    emit(node, kind, level, message, data as Record<string, unknown> | undefined),
});
host.handle("fault.add", async (msg) => ({ t: "fault.added", fault: await faults.add(msg) }));
host.handle("fault.clear", async (msg) => ({
  t: "fault.cleared",
  cleared: await faults.clear(msg.fault),
}));
host.handle("fault.list", () => ({ t: "fault.listed", faults: faults.list() }));

// ---- guests: boot, devices, events ---------------------------------------------------------
server.on("link", (link) => {
  if (link.peer.role !== "guest") return;
  sessionOf(link)
    .attach(link)
    .then(() => faults.reattach(link.peer.node))
    .catch((err: Error) =>
      emit(link.peer.node, "boot.error", "error", `boot.params refused: ${err.message}`),
    );
});
server.handle("virtio.avail", (msg, link) => sessionOf(link).onVirtioAvail(msg.desc, msg.len));
server.handle("msr.cpuid", (msg, link) => {
  const msr = sessionOf(link).backends.msr;
  const r = msr ? msr.cpuid(msg.leaf, msg.subleaf) : { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  return { t: "msr.cpuid.regs", ...r };
});
let msrFaultCounter = 0;
server.handle("msr.rdmsr", (msg, link) => {
  const msr = sessionOf(link).backends.msr;
  let r: { kind: "ok"; value: bigint } | { kind: "gp" } = msr
    ? msr.rdmsr(msg.index)
    : { kind: "gp" };
  // msr.zero / msr.gp / malicious: what a broken or hostile hypervisor answers instead.
  const armed = faults.faultsFor(link.peer.node, "device");
  if (armed.length > 0 && r.kind === "ok")
    r = msrFaultAnswer(armed, msg.index, r.value, msrFaultCounter++);
  return r.kind === "ok"
    ? { t: "msr.value", index: msg.index, value: r.value }
    : { t: "msr.gp", index: msg.index };
});
server.handle("msr.wrmsr", (msg, link) => {
  const msr = sessionOf(link).backends.msr;
  const r = msr ? msr.wrmsr(msg.index, msg.value) : ({ kind: "gp" } as const);
  return r.kind === "ok"
    ? { t: "msr.written", index: msg.index }
    : { t: "msr.gp", index: msg.index };
});
server.handle("vmgenid.read", (_msg, link) => {
  const dev = sessionOf(link).backends.vmgenid;
  if (!dev) throw new WireError("E_NOT_FOUND", "no vmgenid device");
  return { t: "vmgenid.id", vmgenid: dev.id };
});
server.handle("gencounter.read", (_msg, link) => {
  const dev = sessionOf(link).backends.vmclock;
  if (!dev) throw new WireError("E_NOT_FOUND", "no generation counter");
  return { t: "gencounter.value", counter: dev.generationCounter };
});
server.handle("event", (msg, link) => {
  const { t: _t, sub: _s, ...ev } = msg;
  if (ev.kind === "panic") sessions.get(link.peer.node)?.notePanic();
  if (faults.cutFromHost(link.peer.node)) return;
  host.send({ t: "event", ...ev, node: link.peer.node });
});
server.handle("log.line", (msg, link) => {
  if (!faults.cutFromHost(link.peer.node)) host.send({ ...msg, node: link.peer.node });
});

// ---- the host's commands -------------------------------------------------------------------
host.handle("status.get", async (msg) => {
  const want = msg.nodes ? new Set(msg.nodes) : null;
  const nodes = [];
  if (!want || want.has(id)) {
    nodes.push({
      node: id,
      role: "hypervisor" as const,
      pid: process.pid,
      state: "running" as const,
      uptimeMs: clock.now(),
      channels: [],
    });
  }
  // Ask every guest at once: one slow or wedged guest must not delay the others' answers.
  const guests = [...sessions.values()].filter((s) => !want || want.has(s.id));
  const reports = await Promise.all(
    guests.map(async (s) => {
      const base = {
        node: s.id,
        role: "guest" as const,
        pid: s.child?.pid ?? 0,
        state: s.phase,
        uptimeMs: 0,
        channels: [],
      };
      if (s.link && (s.phase === "running" || s.phase === "starting")) {
        try {
          const r = await relay(s.link, { t: "status.get", nodes: [s.id] }, 3000);
          const g = r.nodes[0];
          if (g) {
            // The hypervisor adds what only it can see: its generators' fingerprints.
            const fp = s.backends.msr?.fingerprint();
            const channels = g.channels.map((c) =>
              c.channel === "msr" && fp ? { ...c, fingerprint: fp } : c,
            );
            const lineage = {
              kexecs: s.kexecs,
              ...(s.resumedFrom ? { from: s.resumedFrom } : {}),
            };
            return { ...g, channels, pid: base.pid, state: s.phase, lineage };
          }
        } catch {
          // report what the hypervisor knows
        }
      }
      return base;
    }),
  );
  nodes.push(...reports);
  return { t: "status.report", nodes };
});
host.handle("rng.getrandom", (msg) =>
  toGuest(msg.vm, () =>
    relay(
      guestLink(msg.vm),
      { t: "rng.getrandom", vm: msg.vm, len: msg.len, flags: msg.flags },
      120_000,
    ),
  ),
);
host.handle("rng.read", (msg) => {
  const { t, vm, source, len, nonblock } = msg;
  if (faults.cutFromHost(vm)) return new Promise<never>(() => undefined);
  return relay(
    guestLink(vm),
    { t, vm, source, len, ...(nonblock === undefined ? {} : { nonblock }) },
    120_000,
  );
});
host.handle("mem.read", (msg) =>
  toGuest(msg.vm, () =>
    relay(guestLink(msg.vm), { t: "mem.read", vm: msg.vm, gpa: msg.gpa, len: msg.len }),
  ),
);
host.handle("cpu.rdmsr", (msg) =>
  toGuest(msg.vm, () => relay(guestLink(msg.vm), { t: "cpu.rdmsr", vm: msg.vm, index: msg.index })),
);
host.handle("cpu.wrmsr", (msg) =>
  toGuest(msg.vm, () =>
    relay(guestLink(msg.vm), {
      t: "cpu.wrmsr",
      vm: msg.vm,
      index: msg.index,
      value: msg.value,
    }),
  ),
);
host.handle("log.read", (msg) => {
  const { id: _id, ...body } = msg;
  return relay(guestLink(msg.node), body);
});
const vmState = (s: GuestSession) => ({
  t: "vm.state" as const,
  vm: s.id,
  state: s.phase,
  ...(s.child ? { pid: s.child.pid } : {}),
});
/** VM lifecycle: each command acts on the guest's session, then reports its state. */
const LIFECYCLE = {
  "vm.restart": (s: GuestSession) => s.restart(),
  "vm.stop": (s: GuestSession, timeoutMs?: number) => s.stop(timeoutMs),
  "vm.start": (s: GuestSession) => s.start(),
  "vm.kill": (s: GuestSession) => s.kill(),
  "vm.pause": (s: GuestSession) => s.pause(),
  "vm.resume": (s: GuestSession) => s.resume(),
} as const;
for (const [t, act] of Object.entries(LIFECYCLE) as [
  keyof typeof LIFECYCLE,
  (s: GuestSession, timeoutMs?: number) => unknown,
][]) {
  host.handle(t, async (msg: { vm: string; timeoutMs?: number }) => {
    const s = session(msg.vm);
    await act(s, msg.timeoutMs);
    return vmState(s);
  });
}

host.handle("vm.kexec", async (msg) => {
  const s = session(msg.vm);
  try {
    await s.kexec();
  } catch (err) {
    if (err instanceof WireError) throw err;
    throw new WireError("E_CONFLICT", (err as Error).message);
  }
  return vmState(s);
});

registerSnapshotCommands(host, {
  hypervisor: id,
  snapshotDir: runDir.snapshotDir,
  sessions,
  session,
  addSession: (g, from) => {
    const s = addSession(g, from);
    s.start();
    return s;
  },
});

if (guestBinary.reason) {
  emit(
    id,
    "hv.guest-binary",
    "warn",
    `${guestBinary.reason}: guests start from ${guestBinary.script}`,
  );
}
for (const s of sessions.values()) if (!adopted.has(s.id)) s.start();
manifest.writeNow();
emit(
  id,
  "hv.ready",
  "info",
  `hypervisor ${id}: ${sessions.size} guest(s), guest endpoint ${server.url}`,
);

// ---- shutdown: guests first, then us ---------------------------------------------------------
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.all([...sessions.values()].map((s) => s.stop(2000)));
    manifest.writeNow();
    entropy.stop();
    await server.close();
    await host.close();
  }
  process.exit(code);
}
process.on("SIGTERM", () => void shutdown(0));
process.on("SIGINT", () => void shutdown(0));
exitWithParent(() => void shutdown(0));
