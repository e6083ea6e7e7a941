import type { ClusterSpec } from "@vmrng/cluster";
import type { NodeStatus } from "@vmrng/wire";
import type { Styler } from "../output/colors.js";
import { formatDuration, renderTable } from "../output/table.js";
import { evaluateTarget } from "../status/boot-target.js";
import { readySourceOf } from "../status/status-document.js";

const INIT_STYLE = { READY: "green", EARLY: "yellow", EMPTY: "red" } as const;

/** The live table under the foreground log: one row per guest of the cluster file. */
export function guestTable(
  spec: ClusterSpec,
  nodes: readonly NodeStatus[],
  s: Styler,
  footer: string,
): string[] {
  const byId = new Map(nodes.map((n) => [n.node, n]));
  let reached = 0;
  const guests = spec.hypervisors.flatMap((h) => h.guests);
  const rows = guests.map((g) => {
    const n = byId.get(g.id);
    const v = evaluateTarget(g.expect, n);
    if (v.state === "reached") reached++;
    const target =
      v.state === "reached"
        ? s("green", `${g.expect} ✓`)
        : v.state === "failed"
          ? s("red", `${g.expect} ✗ ${v.reason}`)
          : s("yellow", `${g.expect} …`);
    const ready = n?.crng?.readyAtMs;
    return [
      g.id,
      g.hypervisor,
      n ? n.state : "-",
      n?.crng ? s(INIT_STYLE[n.crng.init], n.crng.init) : "-",
      n?.crng ? String(n.crng.entropyAvail) : "-",
      readySourceOf(n?.crng) ?? "-",
      ready === undefined ? "-" : formatDuration(ready),
      n ? formatDuration(n.uptimeMs) : "-",
      target,
    ];
  });
  const head = [
    "GUEST",
    "HV",
    "STATE",
    "CRNG",
    "ENTROPY",
    "VIA",
    "READY IN",
    "UPTIME",
    "TARGET",
  ].map((h) => s("bold", h));
  const title = s(
    "dim",
    `── ${spec.name}: ${reached}/${guests.length} guests at their boot target · ${footer}`,
  );
  return [title, ...renderTable(head, rows)];
}
