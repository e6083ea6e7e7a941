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
  return [...renderTable(headers, rows), ...egdLines(doc, s)];
}

/** The host's EGD server, when it runs: a summary line, then one row per connected client. */
export function egdLines(doc: StatusDocument, s: Styler): string[] {
  const egd = doc.nodes.find((n) => n.egd !== null)?.egd;
  if (!egd) return [];
  const where = `127.0.0.1:${egd.port}${egd.socketPath ? ` and ${egd.socketPath}` : ""}`;
  const plural = (n: string, one: string) => `${n} ${one}${n === "1" ? "" : "s"}`;
  const summary =
    `${s("bold", "EGD")} on ${where}: ${plural(egd.bytes, "byte")} served in ` +
    `${plural(egd.requests, "request")} to ${plural(egd.connections, "connection")}` +
    (egd.dropped !== "0" ? s("red", ` (${egd.dropped} dropped)`) : "") +
    (egd.mixedBytes !== "0" ? `, ${egd.mixedBytes} bytes mixed in (uncredited)` : "");
  if (egd.clients.length === 0) return ["", summary, "  no client connected"];
  const head = ["CLIENT", "CONNECTED", "REQUESTS", "BYTES", "MIXED", "THROTTLED"].map((h) =>
    s("bold", h),
  );
  const rows = egd.clients.map((c) => [
    c.client,
    formatDuration(c.connectedMs),
    c.requests,
    c.bytes,
    c.mixedBytes,
    c.throttled,
  ]);
  return ["", summary, ...renderTable(head, rows).map((l) => `  ${l}`)];
}
