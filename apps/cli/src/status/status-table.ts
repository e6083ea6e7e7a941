import type { Styler } from "../output/colors.js";
import { formatDuration, renderTable } from "../output/table.js";
import type { StatusDocument, StatusNode } from "./status-document.js";

const STATE_STYLE = {
  running: "green",
  starting: "yellow",
  paused: "yellow",
  stopping: "yellow",
  stopped: "gray",
  crashed: "red",
  panicked: "red",
} as const;

const INIT_STYLE = { READY: "green", EARLY: "yellow", EMPTY: "red" } as const;

function channelsCell(n: StatusNode): string {
  const parts = n.channels.filter((c) => c.bytes !== "0").map((c) => `${c.channel}:${c.bytes}`);
  return parts.length ? parts.join(" ") : "-";
}

function targetCell(n: StatusNode, s: Styler): string {
  const t = n.bootTarget;
  if (t === null) return "-";
  if (t.state === "reached") return s("green", `${t.expect} ✓`);
  if (t.state === "failed") return s("red", `${t.expect} ✗`);
  return s("yellow", `${t.expect} …`);
}

/** `vmrng status` for people: one row per node. */
export function statusTable(doc: StatusDocument, s: Styler): string[] {
  const headers = [
    "NODE",
    "ROLE",
    "PID",
    "STATE",
    "UPTIME",
    "CRNG",
    "ENTROPY",
    "GEN",
    "READY IN",
    "VIA",
    "TARGET",
    "BYTES BY CHANNEL",
  ].map((h) => s("bold", h));
  const rows = doc.nodes.map((n) => [
    n.id,
    n.role === "guest" && n.hypervisor ? `guest@${n.hypervisor}` : n.role,
    String(n.pid),
    s(STATE_STYLE[n.state], n.state),
    formatDuration(n.uptimeMs),
    n.crng ? s(INIT_STYLE[n.crng.init], n.crng.init) : "-",
    n.crng ? String(n.crng.entropyAvail) : "-",
    n.crng ? n.crng.generation : "-",
    n.crng?.timeToReadyMs != null ? formatDuration(n.crng.timeToReadyMs) : "-",
    n.crng?.readySource ?? "-",
    targetCell(n, s),
    channelsCell(n),
  ]);
  return renderTable(headers, rows);
}
