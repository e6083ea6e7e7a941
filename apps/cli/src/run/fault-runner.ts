import type { ControlClient } from "@vmrng/cluster/control";
import { parseTarget, resolveTargets, type SeededRandom, type ValidFault } from "@vmrng/faults";
import type { GuestTracker } from "./guest-tracker.js";
import type { HistoryWriter } from "./history-writer.js";

interface Armed {
  id: number;
  spec: { kind: string; target: string; params: Record<string, unknown> };
  nodes: string[];
  stopped: boolean;
}

const describe = (err: unknown): string => {
  const e = err as { code?: unknown; remoteCode?: unknown; message?: unknown };
  const code = typeof e?.remoteCode === "string" ? e.remoteCode : e?.code;
  const message = typeof e?.message === "string" ? e.message : String(err);
  return typeof code === "string" ? `${code}: ${message}` : message;
};

/**
 * Arms and disarms the schedule's faults through the host (fault.add / fault.clear), writing
 * `fault` start/stop/error records. `random` targets are drawn here, from the run's seeded
 * "targets" stream, and sent as the node drawn: the same seed picks the same victims.
 */
export class FaultRunner {
  readonly #armed: Armed[] = [];
  readonly errors: string[] = [];

  constructor(
    private readonly client: ControlClient,
    private readonly history: HistoryWriter,
    private readonly guests: GuestTracker,
    private readonly random: SeededRandom,
  ) {}

  /** Arms `fault`; resolves with a handle to disarm it, or undefined when it failed. */
  async start(fault: ValidFault): Promise<Armed | undefined> {
    const params = fault.params as Record<string, unknown>;
    let nodes: string[];
    let target = fault.target;
    try {
      nodes = resolveTargets(fault.target, this.guests.nodes(), this.random, fault.kind);
      if (parseTarget(fault.target).type === "random") target = nodes[0]!;
    } catch (err) {
      this.#error({ kind: fault.kind, target, params }, undefined, describe(err));
      return undefined;
    }
    const spec = { kind: fault.kind, target, params };
    try {
      const id = await this.client.faultAdd(spec);
      this.history.append({ type: "fault", phase: "start", fault: id, spec, nodes });
      const armed = { id, spec, nodes, stopped: false };
      this.#armed.push(armed);
      return armed;
    } catch (err) {
      this.#error(spec, nodes, describe(err));
      return undefined;
    }
  }

  /** Disarms one fault (idempotent). */
  async stop(armed: Armed): Promise<void> {
    if (armed.stopped) return;
    armed.stopped = true;
    try {
      await this.client.faultClear({ fault: armed.id });
      this.history.append({
        type: "fault",
        phase: "stop",
        fault: armed.id,
        spec: armed.spec,
        nodes: armed.nodes,
      });
    } catch (err) {
      this.#error(
        armed.spec,
        armed.nodes,
        `clearing fault ${armed.id}: ${describe(err)}`,
        armed.id,
      );
    }
  }

  /** Disarms every fault still armed: the ones without `for` last until the run ends. */
  async stopAll(): Promise<void> {
    for (const a of this.#armed) await this.stop(a);
  }

  #error(spec: Armed["spec"], nodes: string[] | undefined, error: string, fault?: number): void {
    this.errors.push(`${spec.kind} on ${spec.target}: ${error}`);
    this.history.append({
      type: "fault",
      phase: "error",
      ...(fault === undefined ? {} : { fault }),
      spec,
      ...(nodes ? { nodes } : {}),
      error,
    });
  }
}
