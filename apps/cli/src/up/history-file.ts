import type { ClusterEvent } from "@vmrng/cluster/control";
import { FileTail } from "../logs/log-files.js";

/**
 * The events recorded in history.jsonl so far. The foreground view prints these first, then
 * the live subscription, so the earliest boot lines (logged before we could subscribe) are not
 * lost. Lines that are not events (or are torn) are skipped.
 */
export function readHistoryEvents(path: string): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  for (const line of new FileTail(path).readNew()) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    const e = v as Partial<ClusterEvent> & { t?: string };
    if (
      typeof e === "object" &&
      e !== null &&
      (e.t === undefined || e.t === "event") &&
      typeof e.node === "string" &&
      typeof e.vtimeMs === "number" &&
      typeof e.kind === "string" &&
      typeof e.message === "string"
    ) {
      out.push({
        node: e.node,
        vtimeMs: e.vtimeMs,
        kind: e.kind,
        level: e.level ?? "info",
        message: e.message,
      });
    }
  }
  return out;
}

/** Identity of an event across the history file and the live stream. */
export const eventKey = (e: ClusterEvent): string =>
  `${e.node}\0${e.vtimeMs}\0${e.kind}\0${e.message}`;
