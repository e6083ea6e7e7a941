import { stripAnsi } from "./colors.js";

/** Left-aligned columns separated by two spaces; cells may carry color codes. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const widths = headers.map((h, i) =>
    Math.max(stripAnsi(h).length, ...rows.map((r) => stripAnsi(r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c + " ".repeat(Math.max(0, widths[i]! - stripAnsi(c).length)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** Milliseconds as a short duration: "0.25ms", "850ms", "12.3s", "5m02s", "2h05m". */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${Number(ms.toFixed(2))}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
