import {
  type ClientStateChange,
  type ClusterState,
  connectLink,
  type Event,
  type FaultEntry,
  type LinkClient,
  type LogLines,
  type MessageOf,
  type NodeStatus,
  RNG_MAX_READ,
  type VmState,
  WireError,
} from "@vmrng/wire";
import { RunDir, type RunState } from "../run-dir.js";
import { ClusterNotRunningError, GuestErrnoError } from "./errors.js";
import { describeGetrandomFlags } from "./flags.js";
import { locateCluster } from "./locate.js";

export interface ControlConnectOptions {
  /** Client node id the admin token is scoped to (default "cli"). */
  node?: string;
  /** Upgrade + welcome must complete within this (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Default per-request timeout (default 10 s); long calls take their own. */
  requestTimeoutMs?: number;
  /** Announced in hello, for the host's logs. */
  software?: string;
}

/** What `events.subscribe` filters on; absent fields match everything. */
export interface EventFilter {
  nodes?: string[];
  kinds?: string[];
  minLevel?: Event["level"];
}

/** An event as a subscriber sees it (the wire's `event` without routing fields). */
export type ClusterEvent = Omit<Event, "t" | "sub">;

export interface Subscription {
  readonly sub: number;
  /** Stops delivery and tells the host (best effort if the link is gone). */
  close(): Promise<void>;
}

export type RngSource = MessageOf<"rng.read">["source"];
export type LogPage = Omit<LogLines, "t" | "re">;
export type VmStateReply = Omit<VmState, "t" | "re">;
export type ClusterStateReply = Omit<ClusterState, "t" | "re">;

/** Calls that may block inside a guest (getrandom without NONBLOCK) wait this long by default. */
const BLOCKING_CALL_TIMEOUT_MS = 24 * 3600 * 1000;

/**
 * A typed client for a running cluster's control endpoint (the host). It finds the cluster through
 * the run directory (state.json + admin.token), speaks as role "client", and turns replies into
 * plain values and typed errors: ClusterNotRunningError when there is no cluster, GuestErrnoError
 * when a guest call fails with an errno, WireError for everything else (E_REMOTE with the host's
 * `remoteCode`, e.g. E_NOT_FOUND for an unknown node).
 */
export class ControlClient {
  readonly #link: LinkClient;
  readonly #subs = new Map<number, (e: ClusterEvent) => void>();
  readonly #closeListeners = new Set<(error?: WireError) => void>();
  #closing = false;

  private constructor(
    readonly runDir: RunDir,
    /** state.json as read when connecting. */
    readonly state: RunState,
    link: LinkClient,
  ) {
    this.#link = link;
    link.handle("event", (msg) => {
      if (msg.sub === undefined) return;
      const { t: _t, sub, ...event } = msg;
      this.#subs.get(sub)?.(event);
    });
    link.on("state", (change: ClientStateChange) => {
      if (change.state !== "closed") return;
      for (const l of this.#closeListeners) l(this.#closing ? undefined : change.error);
    });
  }

  /**
   * Connects to the cluster recorded in `runDir` (default: $VMRNG_RUN_DIR or .vmrng).
   * Throws ClusterNotRunningError when no live host is recorded there or it does not answer.
   */
  static async connect(
    runDir: RunDir | string = new RunDir(),
    options: ControlConnectOptions = {},
  ): Promise<ControlClient> {
    const dir = typeof runDir === "string" ? new RunDir(runDir) : runDir;
    const state = locateCluster(dir);
    let token: string;
    try {
      token = dir.readAdminToken();
    } catch (err) {
      throw new ClusterNotRunningError(
        dir.root,
        "unreachable",
        state.hostPid,
        `cannot read ${dir.adminTokenFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    const link = connectLink({
      url: state.controlUrl,
      token,
      role: "client",
      node: options.node ?? "cli",
      expect: { role: "host" },
      reconnect: false,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      software: options.software ?? "vmrng-control",
    });
    try {
      await link.opened();
    } catch (err) {
      await link.close();
      const detail = err instanceof Error ? err.message : String(err);
      throw new ClusterNotRunningError(dir.root, "unreachable", state.hostPid, detail);
    }
    return new ControlClient(dir, state, link);
  }

  /** Status of every node (or only `nodes`), as the host gathers it. */
  async status(nodes?: string[]): Promise<NodeStatus[]> {
    const body =
      nodes === undefined ? { t: "status.get" as const } : { t: "status.get" as const, nodes };
    const reply = await this.#link.request(body);
    return reply.nodes;
  }

  /**
   * getrandom(2) in guest `vm` with the raw `flags` (GRND_NONBLOCK=1, GRND_RANDOM=2,
   * GRND_INSECURE=4; unknown bits are passed through so the guest answers EINVAL itself).
   * May return fewer bytes than asked, as the syscall may. Throws GuestErrnoError.
   */
  async getrandom(
    vm: string,
    len: number,
    flags: number,
    options: { timeoutMs?: number } = {},
  ): Promise<Uint8Array> {
    checkLen(len);
    const reply = await this.#link.request(
      { t: "rng.getrandom", vm, len, flags },
      { timeoutMs: options.timeoutMs ?? BLOCKING_CALL_TIMEOUT_MS },
    );
    if (reply.t === "rng.errno")
      throw new GuestErrnoError(
        vm,
        `getrandom(${len}, ${describeGetrandomFlags(flags)})`,
        reply.errno,
      );
    return reply.data;
  }

  /** read(2) of /dev/random, /dev/urandom or /dev/hwrng in guest `vm`. Throws GuestErrnoError. */
  async read(
    vm: string,
    source: RngSource,
    len: number,
    options: { nonblock?: boolean; timeoutMs?: number } = {},
  ): Promise<Uint8Array> {
    checkLen(len);
    const body = options.nonblock
      ? { t: "rng.read" as const, vm, source, len, nonblock: true }
      : { t: "rng.read" as const, vm, source, len };
    const reply = await this.#link.request(body, {
      timeoutMs: options.timeoutMs ?? BLOCKING_CALL_TIMEOUT_MS,
    });
    if (reply.t === "rng.errno") {
      const mode = options.nonblock ? "O_RDONLY|O_NONBLOCK" : "O_RDONLY";
      throw new GuestErrnoError(vm, `read(/dev/${source} [${mode}], ${len})`, reply.errno);
    }
    return reply.data;
  }

  /** The last `lines` kernel log lines of `node`, optionally only after virtual time `sinceMs`. */
  async logs(node: string, options: { lines?: number; sinceMs?: number } = {}): Promise<LogPage> {
    const {
      t: _t,
      re: _re,
      ...page
    } = await this.#link.request({
      t: "log.read",
      node,
      ...options,
    });
    return page;
  }

  /** Streams matching events to `onEvent` until the subscription or the client is closed. */
  async subscribe(
    filter: EventFilter,
    onEvent: (event: ClusterEvent) => void,
  ): Promise<Subscription> {
    const reply = await this.#link.request({ t: "events.subscribe", ...filter });
    const sub = reply.sub;
    this.#subs.set(sub, onEvent);
    return {
      sub,
      close: async () => {
        if (!this.#subs.delete(sub)) return;
        try {
          await this.#link.request({ t: "events.unsubscribe", sub });
        } catch {
          // The link is gone: so is the subscription.
        }
      },
    };
  }

  /**
   * Stops every guest, then every hypervisor (graceful, killed after `timeoutMs`); the host exits
   * once it has answered. Waits a little longer than `timeoutMs` for the reply.
   */
  async down(timeoutMs = 10_000): Promise<ClusterStateReply> {
    const {
      t: _t,
      re: _re,
      ...state
    } = await this.#link.request({ t: "cluster.down", timeoutMs }, { timeoutMs: timeoutMs + 5000 });
    return state;
  }

  /** A cold reboot of guest `vm`: fresh boot_params and seed. */
  restart(vm: string, timeoutMs = 30_000): Promise<VmStateReply> {
    return this.#vm({ t: "vm.restart", vm }, timeoutMs);
  }

  start(vm: string, timeoutMs = 30_000): Promise<VmStateReply> {
    return this.#vm({ t: "vm.start", vm }, timeoutMs);
  }

  stop(vm: string, timeoutMs = 10_000): Promise<VmStateReply> {
    return this.#vm({ t: "vm.stop", vm, timeoutMs }, timeoutMs + 5000);
  }

  /** kexec guest `vm`: its kernel hands the next one a fresh seed (only once READY). */
  kexec(vm: string): Promise<VmStateReply> {
    return this.#vm({ t: "vm.kexec", vm }, 30_000);
  }

  kill(vm: string): Promise<VmStateReply> {
    return this.#vm({ t: "vm.kill", vm }, 10_000);
  }

  /** Snapshots guest `vm` into the run directory's snapshots/ (named `snapshot`, or one picked). */
  async snapshot(
    vm: string,
    snapshot?: string,
  ): Promise<{ snapshot: string; size: bigint; vtimeMs: number }> {
    const r = await this.#link.request(
      { t: "snap.save", vm, ...(snapshot === undefined ? {} : { snapshot }) },
      { timeoutMs: 30_000 },
    );
    return { snapshot: r.snapshot, size: r.size, vtimeMs: r.vtimeMs };
  }

  /** Starts VM `clone` from a snapshot of `vm` (taken now when `snapshot` is absent). */
  async clone(
    vm: string,
    clone: string,
    snapshot?: string,
  ): Promise<{ vm: string; from: string; snapshot: string }> {
    const r = await this.#link.request(
      { t: "snap.clone", vm, clone, ...(snapshot === undefined ? {} : { snapshot }) },
      { timeoutMs: 30_000 },
    );
    return { vm: r.vm, from: r.from, snapshot: r.snapshot };
  }

  /** Replaces guest `vm`'s running state with snapshot `snapshot` (a new vmgenid generation). */
  async restoreSnapshot(vm: string, snapshot: string): Promise<VmStateReply> {
    const {
      t: _t,
      re: _re,
      ...state
    } = await this.#link.request({ t: "snap.restore", vm, snapshot }, { timeoutMs: 30_000 });
    return state;
  }

  /**
   * Arms a fault (see @vmrng/faults for kinds, targets and params); the host validates it,
   * resolves its target and hands it to the process that applies it. Resolves with its number.
   */
  async faultAdd(
    spec: { kind: string; target: string; params?: Record<string, unknown> },
    forMs?: number,
  ): Promise<number> {
    const r = await this.#link.request(
      {
        t: "fault.add",
        spec: { kind: spec.kind, target: spec.target, params: (spec.params ?? {}) as never },
        ...(forMs === undefined ? {} : { forMs }),
      },
      { timeoutMs: 30_000 },
    );
    return r.fault;
  }

  /** The armed faults, cluster-wide. */
  async faultList(): Promise<FaultEntry[]> {
    const r = await this.#link.request({ t: "fault.list" }, { timeoutMs: 10_000 });
    return r.faults;
  }

  /** Disarms one fault, every fault on `target`, or (neither given) all; resolves with how many. */
  async faultClear(which: { fault?: number; target?: string } = {}): Promise<number> {
    const r = await this.#link.request(
      {
        t: "fault.clear",
        ...(which.fault === undefined ? {} : { fault: which.fault }),
        ...(which.target === undefined ? {} : { target: which.target }),
      },
      { timeoutMs: 30_000 },
    );
    return r.cleared;
  }

  async #vm(
    body:
      | { t: "vm.restart"; vm: string }
      | { t: "vm.start"; vm: string }
      | { t: "vm.kill"; vm: string }
      | { t: "vm.kexec"; vm: string }
      | { t: "vm.stop"; vm: string; timeoutMs: number },
    timeoutMs: number,
  ): Promise<VmStateReply> {
    const { t: _t, re: _re, ...state } = await this.#link.request(body, { timeoutMs });
    return state;
  }

  /**
   * Called once when the connection ends; `error` is set when it was lost (the host went away)
   * rather than closed by close().
   */
  onClose(listener: (error?: WireError) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** True while the connection to the host is open. */
  get connected(): boolean {
    return this.#link.state === "open";
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#subs.clear();
    await this.#link.close();
  }
}

function checkLen(len: number): void {
  if (!Number.isInteger(len) || len < 0 || len > RNG_MAX_READ)
    throw new WireError(
      "E_INVALID",
      `length must be an integer in 0..${RNG_MAX_READ} (got ${len})`,
    );
}
