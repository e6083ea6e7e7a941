import type { RunDir } from "@vmrng/cluster";
import type { ClusterEvent, ControlClient, Subscription } from "@vmrng/cluster/control";
import { FileTail } from "../logs/log-files.js";
import type { HistoryWriter } from "./history-writer.js";

/** Identity of an event across the host's history.jsonl and the live stream. */
const keyOf = (e: { node: string; vtimeMs: number; kind: string; message: string }): string =>
  `${e.node}\0${e.vtimeMs}\0${e.kind}\0${e.message}`;

type Listener = (e: ClusterEvent, at: number) => void;

/** A host history line as an event, with the wall time the host recorded it. */
function parseHostLine(line: string): { event: ClusterEvent; wall?: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const e = v as Record<string, unknown>;
  if (
    typeof e.node !== "string" ||
    typeof e.vtimeMs !== "number" ||
    typeof e.kind !== "string" ||
    typeof e.message !== "string"
  )
    return undefined;
  const event = {
    node: e.node,
    vtimeMs: e.vtimeMs,
    kind: e.kind,
    level: typeof e.level === "string" ? e.level : "info",
    message: e.message,
    ...(typeof e.data === "object" && e.data !== null ? { data: e.data } : {}),
  } as ClusterEvent;
  const wall = typeof e.at === "string" ? Date.parse(e.at) : Number.NaN;
  return Number.isFinite(wall) ? { event, wall } : { event };
}

/**
 * Writes every cluster event into the run's history as an `event` record. The host started
 * booting guests before we could subscribe, so the events it recorded until then are read back
 * from its own history.jsonl (with the wall time it stamped on them) and the live stream is
 * de-duplicated against them: each event is recorded exactly once, in the host's order.
 */
export class EventRecorder {
  #sub: Subscription | undefined;
  #backfilled = false;
  readonly #early: ClusterEvent[] = [];
  readonly #seen = new Map<string, number>();
  readonly #listeners = new Set<Listener>();
  #count = 0;

  constructor(
    private readonly history: HistoryWriter,
    private readonly runDir: RunDir,
  ) {}

  /** Sees each event as it is recorded (the plan driver waits and tracks guests with this). */
  onEvent(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  get count(): number {
    return this.#count;
  }

  async start(client: ControlClient): Promise<void> {
    this.#sub = await client.subscribe({}, (e) => {
      if (this.#backfilled) this.#live(e);
      else this.#early.push(e);
    });
    for (const line of new FileTail(this.runDir.historyFile).readNew()) {
      const parsed = parseHostLine(line);
      if (!parsed) continue;
      const k = keyOf(parsed.event);
      this.#seen.set(k, (this.#seen.get(k) ?? 0) + 1);
      const at = parsed.wall === undefined ? undefined : parsed.wall - this.history.startedAt;
      this.#record(parsed.event, at);
    }
    this.#backfilled = true;
    for (const e of this.#early.splice(0)) this.#live(e);
  }

  #live(e: ClusterEvent): void {
    const k = keyOf(e);
    const n = this.#seen.get(k);
    if (n !== undefined) {
      if (n <= 1) this.#seen.delete(k);
      else this.#seen.set(k, n - 1);
      return;
    }
    this.#record(e);
  }

  #record(e: ClusterEvent, at?: number): void {
    if (this.history.closed) return;
    const r = this.history.append(
      {
        type: "event",
        node: e.node,
        vtimeMs: e.vtimeMs,
        kind: e.kind,
        level: e.level,
        message: e.message,
        ...(e.data === undefined ? {} : { data: e.data as Record<string, unknown> }),
      },
      at,
    );
    this.#count++;
    for (const l of this.#listeners) l(e, r.at);
  }

  async stop(): Promise<void> {
    await this.#sub?.close().catch(() => {});
    this.#sub = undefined;
  }
}
