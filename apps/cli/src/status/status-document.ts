import type { ClusterSpec, GuestSpec, RunState } from "@vmrng/cluster";
import type { NodeStatus } from "@vmrng/wire";
import { evaluateTarget, type TargetState } from "./boot-target.js";

/**
 * `vmrng status --json`: one document, stable field names (README, "status --json"). Every u64
 * counter (generation, channel counts) is a decimal string, so no JSON parser rounds it.
 */
export interface StatusDocument {
  format: 1;
  runDir: string;
  cluster: string;
  hostPid: number;
  controlUrl: string;
  startedAt: string;
  nodes: StatusNode[];
}

export interface StatusNode {
  id: string;
  role: "host" | "hypervisor" | "guest";
  /** The hypervisor a guest runs under (from the cluster file), else null. */
  hypervisor: string | null;
  pid: number;
  state: NodeStatus["state"];
  /** Virtual uptime for guests, wall uptime for the host and hypervisors (ms). */
  uptimeMs: number;
  /** Guests: kexecs since the cold boot or resume, and the VM a clone/restore came from. */
  lineage: { kexecs: number; from: string | null } | null;
  crng: {
    init: "EMPTY" | "EARLY" | "READY";
    entropyAvail: number;
    generation: string;
    /** Virtual ms from boot to crng_init READY; null before. */
    timeToReadyMs: number | null;
    /** The input that made the CRNG READY (e.g. "setup_data", "virtio-rng"), when reported. */
    readySource: string | null;
  } | null;
  /** Guests: the boot target from the cluster file and where the guest stands against it. */
  bootTarget: { expect: GuestSpec["expect"]; state: TargetState; reason: string } | null;
  /** Bytes received (and requests, errors) per entropy channel since the node started. */
  channels: { channel: string; requests: string; bytes: string; errors: string }[];
  /** The host only, when its EGD server runs: where it listens, totals, connected clients. */
  egd: StatusEgd | null;
}

/** `host.egd` in status: u64 counters as decimal strings, like every other counter. */
export interface StatusEgd {
  port: number;
  socketPath: string | null;
  connections: string;
  dropped: string;
  requests: string;
  bytes: string;
  mixedBytes: string;
  clients: {
    client: string;
    connectedMs: number;
    requests: string;
    bytes: string;
    mixedBytes: string;
    throttled: string;
  }[];
}

function egdOf(egd: NodeStatus["egd"]): StatusEgd | null {
  if (egd === undefined) return null;
  return {
    port: egd.port,
    socketPath: egd.socketPath ?? null,
    connections: egd.connections.toString(),
    dropped: egd.dropped.toString(),
    requests: egd.requests.toString(),
    bytes: egd.bytes.toString(),
    mixedBytes: egd.mixedBytes.toString(),
    clients: egd.clients.map((c) => ({
      client: c.client,
      connectedMs: c.connectedMs,
      requests: c.requests.toString(),
      bytes: c.bytes.toString(),
      mixedBytes: c.mixedBytes.toString(),
      throttled: c.throttled.toString(),
    })),
  };
}

/** The input that made the guest's CRNG READY, once the status reports it. */
export function readySourceOf(crng: NodeStatus["crng"]): string | null {
  return crng?.readySource ?? null;
}

export function statusDocument(
  runDir: string,
  state: RunState,
  spec: ClusterSpec | undefined,
  nodes: readonly NodeStatus[],
): StatusDocument {
  const guests = new Map(spec?.hypervisors.flatMap((h) => h.guests.map((g) => [g.id, g])) ?? []);
  return {
    format: 1,
    runDir,
    cluster: state.cluster,
    hostPid: state.hostPid,
    controlUrl: state.controlUrl,
    startedAt: state.startedAt,
    nodes: nodes.map((n): StatusNode => {
      const g = guests.get(n.node);
      return {
        id: n.node,
        role: n.role,
        hypervisor: g?.hypervisor ?? null,
        pid: n.pid,
        state: n.state,
        uptimeMs: n.uptimeMs,
        lineage: n.lineage ? { kexecs: n.lineage.kexecs, from: n.lineage.from ?? null } : null,
        crng:
          n.crng === undefined
            ? null
            : {
                init: n.crng.init,
                entropyAvail: n.crng.entropyAvail,
                generation: n.crng.generation.toString(),
                timeToReadyMs: n.crng.readyAtMs ?? null,
                readySource: readySourceOf(n.crng),
              },
        bootTarget:
          n.role === "guest" && g !== undefined
            ? { expect: g.expect, ...evaluateTarget(g.expect, n) }
            : null,
        channels: n.channels.map((c) => ({
          channel: c.channel,
          requests: c.requests.toString(),
          bytes: c.bytes.toString(),
          errors: c.errors.toString(),
        })),
        egd: egdOf(n.egd),
      };
    }),
  };
}
