#!/usr/bin/env node
import { randomBytes } from "node:crypto";
import { fstatSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { exitWithParent, loadResolvedSpec, RunDir, spawnNode, stopChild } from "@vmrng/cluster";
import { createLinkServer, type Event, relay, TokenRegistry, WireError } from "@vmrng/wire";
import { ClusterNodes } from "./cluster-nodes.js";
import { type EgdLog, egdChannel, startHostEgd } from "./egd/index.js";
import { History } from "./history.js";
import { HostFaults } from "./host-faults.js";
import { HostLog } from "./host-log.js";
import { HypervisorSupervisor } from "./hypervisor-supervisor.js";
import { Subscriptions } from "./subscriptions.js";

/**
 * The physical host: the cluster root and control endpoint. It serves strong entropy (the OS
 * CSPRNG) to hypervisors, starts them, routes client commands to the right hypervisor and
 * records every event of the cluster in history.jsonl.
 */
const { values } = parseArgs({ options: { "run-dir": { type: "string" } } });
const runDir = new RunDir(values["run-dir"]);
const here = dirname(fileURLToPath(import.meta.url));
const HYPERVISOR_MAIN = join(here, "../../hypervisor/dist/main.js");
const GRACE_MS = 3000;

const spec = loadResolvedSpec(runDir.clusterFile);
runDir.create();
const startedAt = Date.now();
const history = new History(runDir.historyFile);
const subs = new Subscriptions();
const tokens = new TokenRegistry();
runDir.writeAdminToken(tokens.issue({ role: "client", node: "cli" }));

const hostLog = new HostLog(runDir.logFile("host"));

/** Every event goes to the history and to matching subscribers. */
function record(ev: Omit<Event, "t" | "sub">): void {
  history.append({ at: new Date().toISOString(), ...ev });
  subs.publish(ev);
}

// The EGD server for real VMs (QEMU rng-egd), when the cluster file enables it. It must listen
// before state.json is written: `vmrng up` and the tests read egdPort from there.
const egdLog: EgdLog = (level, message) => {
  hostLog.write(level, `egd: ${message}`);
  record({ node: "host", vtimeMs: Date.now() - startedAt, kind: "egd", level, message });
};
const egd = spec.host.egd.enabled
  ? await startHostEgd(spec.host.egd, runDir, egdLog).catch((err: Error) => {
      hostLog.write("error", `egd: ${err.message}`);
      process.stderr.write(`host: cannot start the EGD server: ${err.message}\n`);
      process.exit(1);
    })
  : null;
if (egd)
  egdLog(
    "info",
    `listening on 127.0.0.1:${egd.port}${egd.socketPath ? ` and ${egd.socketPath}` : ""}`,
  );

const server = await createLinkServer({ role: "host", node: "host", tokens });
const nodes = new ClusterNodes(spec, runDir, {
  format: 1,
  cluster: spec.name,
  hostPid: process.pid,
  controlUrl: server.url,
  ...(egd ? { egdPort: egd.port } : {}),
  ...(egd?.socketPath ? { egdSocket: egd.socketPath } : {}),
  startedAt: new Date(startedAt).toISOString(),
});
nodes.persistNow();
const hostEvent = (kind: string, message: string, data?: Event["data"]): void =>
  record({
    node: "host",
    vtimeMs: Date.now() - startedAt,
    kind,
    level: "info",
    message,
    ...(data ? { data } : {}),
  });

function targetLink(node: string) {
  if (!nodes.nodes.has(node))
    throw new WireError("E_NOT_FOUND", `no node "${node}" in cluster ${spec.name}`);
  const link = nodes.linkFor(node);
  if (!link) throw new WireError("E_CLOSED", `the hypervisor of "${node}" is not connected`);
  return link;
}

// ---- hypervisors: entropy, events --------------------------------------------------------
server.handle("entropy.get", (msg) => ({
  t: "entropy.data",
  data: new Uint8Array(randomBytes(msg.len)),
}));
server.handle("event", (msg) => {
  const { t: _t, sub: _sub, ...ev } = msg;
  if (ev.kind === "vm.state" && ev.data) {
    const d = ev.data as { state?: string; pid?: number };
    nodes.update(ev.node, {
      ...(typeof d.pid === "number" ? { pid: d.pid } : {}),
      ...(typeof d.state === "string" ? { state: d.state as never } : {}),
    });
  }
  record(ev);
});
server.handle("log.line", (msg) =>
  record({
    node: msg.node,
    vtimeMs: msg.vtimeMs,
    kind: "log",
    level: msg.level <= 3 ? "error" : msg.level <= 4 ? "warn" : "info",
    message: msg.text,
  }),
);

// ---- clients: status, rng, logs, events, lifecycle ---------------------------------------
server.handle("status.get", async (msg) => {
  const want = msg.nodes ? new Set(msg.nodes) : null;
  const out = [];
  if (!want || want.has("host")) {
    out.push({
      node: "host",
      role: "host" as const,
      pid: process.pid,
      state: "running" as const,
      uptimeMs: Date.now() - startedAt,
      channels: egd ? [egdChannel(egd)] : [],
      ...(egd ? { egd: egd.status() } : {}),
    });
  }
  // Every hypervisor at once: one that is slow to answer must not hold up the others.
  const perHypervisor = await Promise.all(
    spec.hypervisors.map(async (hv) => {
      // The spec's guests plus any VM started since from a snapshot (clones).
      const guests = [...nodes.nodes.values()].filter((n) => n.parent === hv.id).map((n) => n.id);
      const members = [hv.id, ...guests].filter((n) => !want || want.has(n));
      if (members.length === 0) return [];
      const link = nodes.hvLinks.get(hv.id);
      if (link) {
        try {
          return (await relay(link, { t: "status.get", nodes: members }, 5000)).nodes;
        } catch {
          // fall through: report what the host knows
        }
      }
      return members.map((id) => {
        const rec = nodes.nodes.get(id)!;
        return {
          node: id,
          role: rec.role as "hypervisor" | "guest",
          pid: rec.pid ?? 0,
          state: rec.state,
          uptimeMs: 0,
          channels: [],
        };
      });
    }),
  );
  for (const reports of perHypervisor) out.push(...reports);
  return { t: "status.report", nodes: out };
});
server.handle("rng.getrandom", (msg) =>
  relay(
    targetLink(msg.vm),
    { t: "rng.getrandom", vm: msg.vm, len: msg.len, flags: msg.flags },
    120_000,
  ),
);
server.handle("rng.read", (msg) => {
  const { t, vm, source, len, nonblock } = msg;
  return relay(
    targetLink(vm),
    { t, vm, source, len, ...(nonblock === undefined ? {} : { nonblock }) },
    120_000,
  );
});
server.handle("mem.read", (msg) =>
  relay(targetLink(msg.vm), { t: "mem.read", vm: msg.vm, gpa: msg.gpa, len: msg.len }),
);
server.handle("cpu.rdmsr", (msg) =>
  relay(targetLink(msg.vm), { t: "cpu.rdmsr", vm: msg.vm, index: msg.index }),
);
server.handle("cpu.wrmsr", (msg) =>
  relay(targetLink(msg.vm), { t: "cpu.wrmsr", vm: msg.vm, index: msg.index, value: msg.value }),
);
server.handle("log.read", (msg) => {
  const { id: _id, ...body } = msg;
  return relay(targetLink(msg.node), body);
});
server.handle("events.subscribe", (msg, link) => ({
  t: "events.subscribed",
  sub: subs.add(link, msg),
}));
server.handle("events.unsubscribe", (msg, link) => {
  if (!subs.remove(link, msg.sub)) throw new WireError("E_NOT_FOUND", `no subscription ${msg.sub}`);
  return undefined;
});
for (const t of [
  "vm.restart",
  "vm.stop",
  "vm.start",
  "vm.kill",
  "vm.pause",
  "vm.resume",
  "vm.kexec",
] as const) {
  server.handle(
    t,
    (msg: { vm: string }) => relay(targetLink(msg.vm), { t, vm: msg.vm } as never) as never,
  );
}

// ---- snapshots: the VM's hypervisor saves, restores and clones -----------------------------
server.handle("snap.save", (msg) => {
  const { id: _id, ...body } = msg;
  return relay(targetLink(msg.vm), body, 30_000);
});
server.handle("snap.restore", (msg) => {
  const { id: _id, ...body } = msg;
  return relay(targetLink(msg.vm), body, 30_000);
});
server.handle("snap.clone", async (msg) => {
  const { id: _id, ...body } = msg;
  if (nodes.nodes.has(msg.clone)) {
    throw new WireError("E_CONFLICT", `a node "${msg.clone}" already exists`);
  }
  const link = targetLink(msg.vm);
  const parent = nodes.nodes.get(msg.vm)?.parent;
  // The clone lives under its parent's hypervisor: known before it starts, so its state
  // events (and pid, for state.json) are recorded.
  if (parent)
    nodes.nodes.set(msg.clone, { id: msg.clone, role: "guest", parent, state: "starting" });
  try {
    return await relay(link, body, 30_000);
  } catch (err) {
    if (nodes.nodes.get(msg.clone)?.pid === undefined) nodes.nodes.delete(msg.clone);
    throw err;
  }
});

// ---- faults: numbered and validated here, applied by the process that owns the link or device
const faults = new HostFaults(
  {
    nodes: () =>
      [...nodes.nodes.values()].map((n) => ({
        id: n.id,
        role: n.role,
        ...(n.parent ? { parent: n.parent } : {}),
      })),
    hvLink: (hv) => nodes.hvLinks.get(hv),
    killHypervisor: (hv, hold) => supervisor.kill(hv, { hold }),
    releaseHypervisor: (hv) => supervisor.release(hv),
    signalHypervisor: (hv, sig) => supervisor.child(hv)?.proc.kill(sig),
    record: (kind, message, data) =>
      record({
        node: "host",
        vtimeMs: Date.now() - startedAt,
        kind,
        level: kind === "fault.error" ? "error" : "warn",
        message,
        data: data as Event["data"],
      }),
    now: () => Date.now(),
  },
  Number.parseInt(process.env.VMRNG_FAULT_SEED ?? "", 10) || randomBytes(4).readUInt32LE(0),
);
server.handle("fault.add", async (msg) => ({
  t: "fault.added",
  fault: await faults.add(msg.spec, msg.forMs),
}));
server.handle("fault.list", () => ({ t: "fault.listed", faults: faults.list() }));
server.handle("fault.clear", async (msg) => ({
  t: "fault.cleared",
  cleared: await faults.clear({
    ...(msg.fault === undefined ? {} : { fault: msg.fault }),
    ...(msg.target === undefined ? {} : { target: msg.target }),
  }),
}));

let stopping: Promise<void> | null = null;
server.handle("cluster.down", async (msg) => {
  const ids = [...nodes.nodes.keys()];
  setImmediate(() => void shutdown(msg.timeoutMs ?? GRACE_MS, 0));
  return { t: "cluster.state", state: "stopping", nodes: ids };
});

// ---- start the hypervisors -----------------------------------------------------------------
server.on("link", (link) => {
  if (link.peer.role !== "hypervisor") return;
  const id = link.peer.node;
  nodes.hvLinks.set(id, link);
  supervisor.connected(id);
  void faults.resend(id);
  nodes.update(id, { state: "running" });
  hostEvent("hv.connected", `hypervisor ${id} connected`, { node: id });
  link.on("close", () => {
    if (nodes.hvLinks.get(id) === link) nodes.hvLinks.delete(id);
  });
});

// A previous cluster's VM manifests must not make this one's hypervisors adopt stale pids.
rmSync(join(runDir.root, "vms"), { recursive: true, force: true });
const supervisor = new HypervisorSupervisor({
  onExit: (hvId, code, restartInMs) => {
    nodes.update(hvId, { state: "crashed" });
    record({
      node: hvId,
      vtimeMs: Date.now() - startedAt,
      kind: "vm.state",
      level: "error",
      message:
        restartInMs === null
          ? `hypervisor ${hvId} exited with code ${code}; held down by a fault`
          : `hypervisor ${hvId} exited with code ${code}; restarting in ${restartInMs} ms`,
      data: { state: "crashed", code, ...(restartInMs === null ? {} : { restartInMs }) },
    });
  },
  start: (hvId, guestKey, incarnation) => {
    const child = spawnNode(HYPERVISOR_MAIN, {
      id: hvId,
      logFile: runDir.logFile(hvId),
      env: {
        ...process.env,
        VMRNG_HOST_URL: server.url,
        VMRNG_TOKEN: tokens.issue({ role: "hypervisor", node: hvId }),
        VMRNG_NODE_ID: hvId,
        VMRNG_RUN_DIR: runDir.root,
        VMRNG_GUEST_KEY: guestKey,
      },
    });
    nodes.hvProcs.set(hvId, child);
    nodes.update(hvId, { pid: child.pid, state: "starting" });
    if (incarnation > 1)
      hostEvent("hv.restarted", `hypervisor ${hvId} restarted (incarnation ${incarnation})`, {
        node: hvId,
        incarnation,
        pid: child.pid,
      });
    return child;
  },
});
for (const hv of spec.hypervisors) supervisor.add(hv.id);
hostEvent(
  "cluster.starting",
  `cluster ${spec.name}: ${spec.hypervisors.length} hypervisor(s), ${spec.hypervisors.reduce((n, h) => n + h.guests.length, 0)} guest(s)`,
);

// ---- shutdown ------------------------------------------------------------------------------
async function shutdown(graceMs: number, code: number): Promise<void> {
  if (stopping) return stopping;
  stopping = (async () => {
    hostEvent("cluster.stopping", "stopping the cluster");
    supervisor.stopAll();
    // Hypervisors stop their guests on SIGTERM, then exit; stopChild forces after the grace.
    await Promise.all([...nodes.hvProcs.values()].map((c) => stopChild(c, graceMs)));
    for (const n of nodes.nodes.values()) if (n.role !== "host") n.state = "stopped";
    await egd?.close();
    hostEvent("cluster.down", "cluster stopped");
    await server.close();
    history.close();
    hostLog.close();
    process.exit(code);
  })();
  return stopping;
}
// A foreground `vmrng up` hands the host a stdin pipe: if the CLI dies, even by SIGKILL, the
// pipe closes and the cluster stops with it. A detached host gets /dev/null and outlives it.
if (fstatSync(0).isFIFO()) exitWithParent(() => void shutdown(GRACE_MS, 0));
process.on("SIGTERM", () => void shutdown(GRACE_MS, 0));
process.on("SIGINT", () => void shutdown(GRACE_MS, 0));
