// The wire's own toxic types: a type-only import, so no socket code comes with them.
import type { Toxic, ToxicDirection } from "@vmrng/wire";
import type { ValidFault } from "../spec.js";

export type { Toxic, ToxicDirection };

/** One toxic to install: on which end of the link, which way, under which name. */
export interface ToxicPlacement {
  /** `parent` = the server end (the owner); `child` = the target node's own end. */
  side: "parent" | "child";
  direction: ToxicDirection;
  name: string;
  toxic: Toxic;
}

function toxicOf(f: ValidFault): Toxic | null {
  switch (f.kind) {
    case "latency":
      return { type: "latency", latencyMs: f.params.latencyMs, jitterMs: f.params.jitterMs };
    case "bandwidth":
      return { type: "bandwidth", bytesPerSec: f.params.bytesPerSec };
    case "slow_close":
      return { type: "slow_close", delayMs: f.params.delayMs };
    case "timeout":
      return { type: "timeout", timeoutMs: f.params.timeoutMs };
    case "reset_peer":
      return { type: "reset_peer", timeoutMs: f.params.timeoutMs };
    case "slicer":
      return {
        type: "slicer",
        averageSize: f.params.averageSize,
        sizeVariation: f.params.sizeVariation,
        delayUs: f.params.delayUs,
      };
    case "limit_data":
      return { type: "limit_data", bytes: f.params.bytes };
    case "drop":
      return { type: "drop", probability: f.params.probability };
    case "duplicate":
      return { type: "duplicate", probability: f.params.probability };
    case "corrupt":
      return { type: "corrupt", probability: f.params.probability, bytes: f.params.bytes };
    default:
      return null;
  }
}

/**
 * The toxics that realise a link fault on the link between the target and its parent, named
 * `${name}:down` / `${name}:up`. The parent applies `down` to what it sends and `up` to what it
 * receives. The slicer only acts on sends (it fragments outgoing frames), so its `up` half
 * belongs on the child's end, as a send toxic. Returns [] for a kind that is not a toxic
 * (partition and every non-link kind).
 */
export function linkToxicsFor(fault: ValidFault, name: string): ToxicPlacement[] {
  const toxic = toxicOf(fault);
  if (toxic === null || !("direction" in fault.params)) return [];
  const dir = fault.params.direction;
  const out: ToxicPlacement[] = [];
  if (dir === "down" || dir === "both") {
    out.push({ side: "parent", direction: "send", name: `${name}:down`, toxic });
  }
  if (dir === "up" || dir === "both") {
    out.push(
      toxic.type === "slicer"
        ? { side: "child", direction: "send", name: `${name}:up`, toxic }
        : { side: "parent", direction: "receive", name: `${name}:up`, toxic },
    );
  }
  return out;
}
