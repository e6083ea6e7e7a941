import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";

/** One benchmark figure beside the baseline measured in the same run. */
export interface BenchRow {
  name: string;
  unit: string;
  value: number;
  baseline: number;
  /** value / baseline. Whether higher is better depends on the unit (ops/s vs µs). */
  ratio: number;
  /** The goal this row is held to, e.g. ">= 10x" or "<= 1.2x"; informational. */
  target?: string;
}

export function ratioRow(
  name: string,
  unit: string,
  value: number,
  baseline: number,
  target?: string,
): BenchRow {
  const row: BenchRow = {
    name,
    unit,
    value,
    baseline,
    ratio: baseline === 0 ? Number.NaN : value / baseline,
  };
  if (target !== undefined) row.target = target;
  return row;
}

const fmt = (n: number): string =>
  Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(4)) : String(n);

export function formatTable(suite: string, rows: readonly BenchRow[]): string {
  const head = ["name", "unit", "value", "baseline", "ratio", "target"];
  const body = rows.map((r) => [
    r.name,
    r.unit,
    fmt(r.value),
    fmt(r.baseline),
    `${fmt(r.ratio)}x`,
    r.target ?? "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [
    `# bench: ${suite}`,
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
  ].join("\n");
}

/** The workspace root: the nearest parent holding pnpm-workspace.yaml. */
function workspaceRoot(from: string): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const up = dirname(dir);
    if (up === dir) return resolve(from);
    dir = up;
  }
  return dir;
}

/** Prints the table and writes `.bench/<suite>.json` atomically (temp file, fsync, rename). */
export function writeSuite(suite: string, rows: readonly BenchRow[], cwd = process.cwd()): string {
  const dir = join(workspaceRoot(cwd), ".bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(rows, null, 2)}\n`);
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
  console.log(formatTable(suite, rows));
  console.log(`wrote ${file}`);
  return file;
}
