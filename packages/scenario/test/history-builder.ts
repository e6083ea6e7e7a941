import type { GuestFacts, HistoryRecord, OpName } from "../src/history.js";

/** A distinct, recognisable 32-byte block as hex: the tag in its first bytes, then `n`. */
export function block(tag: number, n = 0): string {
  return tag.toString(16).padStart(8, "0") + n.toString(16).padStart(56, "0");
}

export const FACTS: GuestFacts = {
  coco: false,
  rdrand: "ok",
  expect: "ready",
  vmgenid: "notify",
  seed: "present",
};

/** A record without its seq (distributed over the union so each variant keeps its fields). */
type NoSeq<R> = R extends unknown ? Omit<R, "seq"> : never;

/** Builds a history with strictly increasing seqs, the way the runner writes it. */
export class HistoryBuilder {
  readonly records: HistoryRecord[] = [];
  private seq = 0;

  private add(r: NoSeq<HistoryRecord>): number {
    const seq = ++this.seq;
    this.records.push({ seq, ...r } as HistoryRecord);
    return seq;
  }

  run(at: number, phase: "start" | "cluster-up" | "end", scenario = "t", seed = 1): number {
    return this.add({ at, type: "run", phase, scenario, seed });
  }

  guest(
    at: number,
    node: string,
    facts: Partial<GuestFacts> | null = {},
    extra: { cloneOf?: string; parent?: string } = {},
  ): number {
    return this.add({
      at,
      type: "node",
      node,
      role: "guest",
      parent: extra.parent ?? "hv1",
      ...(extra.cloneOf ? { cloneOf: extra.cloneOf } : {}),
      ...(facts ? { facts: { ...FACTS, ...facts } } : {}),
    });
  }

  invoke(at: number, process: number, f: OpName, node: string, args: Record<string, unknown>) {
    return this.add({ at, type: "op", process, f, node, phase: "invoke", args });
  }

  ok(at: number, process: number, f: OpName, node: string, value?: string): number {
    return this.add({
      at,
      type: "op",
      process,
      f,
      node,
      phase: "ok",
      ...(value === undefined ? {} : { value }),
    });
  }

  fail(at: number, process: number, f: OpName, node: string, error: string): number {
    return this.add({ at, type: "op", process, f, node, phase: "fail", error });
  }

  /** invoke + ok of an rng op in one go; returns the ok's seq. */
  rng(
    at: number,
    node: string,
    value: string,
    args: Record<string, unknown> = { len: value.length / 2, flags: 0 },
    f: OpName = "getrandom",
    process = 0,
  ): number {
    this.invoke(at, process, f, node, args);
    return this.ok(at, process, f, node, value);
  }

  event(at: number, node: string, kind: string, data?: Record<string, unknown>, message = kind) {
    return this.add({
      at,
      type: "event",
      node,
      vtimeMs: at,
      kind,
      level: "info",
      message,
      ...(data ? { data } : {}),
    });
  }

  ready(at: number, node: string): number {
    return this.event(at, node, "init-state", { from: "EARLY", to: "READY", source: "rdrand" });
  }

  fault(
    at: number,
    phase: "start" | "stop" | "error",
    kind: string,
    target: string,
    error?: string,
  ) {
    return this.add({
      at,
      type: "fault",
      phase,
      spec: { kind, target, params: {} },
      ...(error ? { error } : {}),
    });
  }
}
