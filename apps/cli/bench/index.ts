/**
 * Cluster benchmark, each figure beside a baseline measured in the same run on the same machine:
 *  - `vmrng up --detach --wait` of 64 seeded guests (2 hypervisors × 32; virtio-rng and the MSR
 *    off to isolate start-up) until all are READY, vs spawning 64 bare `node -e 0` concurrently;
 *  - mean RSS per guest process (VmRSS from /proc/<pid>/status) vs one bare idle node process;
 *  - `vmrng dump -n 32M` throughput vs `head -c 32M /dev/urandom` through the same pipe.
 * Targets: all 64 READY within 10 s on a 2-core machine; at most 60 MB RSS per guest.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchRow, ratioRow, writeSuite } from "@vmrng/benchkit";

const VMRNG = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const GUESTS_PER_HV = 32;
const MB = 1024 * 1024;

function clusterYaml(): string {
  const lines = [
    "version: 1",
    "name: bench64",
    "defaults:",
    "  seed: present",
    "  virtioRng: { enabled: false }",
    "  msr: { enabled: false }",
    "hypervisors:",
  ];
  for (const hv of ["hv1", "hv2"]) {
    lines.push(`  - id: ${hv}`, "    guests:");
    for (let i = 0; i < GUESTS_PER_HV; i++) lines.push(`      - id: ${hv}-g${i}`);
  }
  return `${lines.join("\n")}\n`;
}

function run(
  args: string[],
): Promise<{ code: number | null; ms: number; stdout: string; stderr: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [VMRNG, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => {
    stdout += b;
  });
  child.stderr.on("data", (b: Buffer) => {
    stderr += b;
  });
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ code, ms: performance.now() - t0, stdout, stderr })),
  );
}

/** Wall time to start 64 bare node processes at once and see them all exit. */
async function bareNodes(n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          spawn(process.execPath, ["-e", "0"], { stdio: "ignore" }).on("exit", () => resolve());
        }),
    ),
  );
  return performance.now() - t0;
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** RSS of an idle bare node process, once it settled. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  const rss = rssBytes(child.pid!);
  child.kill("SIGKILL");
  return rss;
}

function pipeThroughput(cmd: string, bytes: number): number {
  const t0 = performance.now();
  const r = spawnSync("bash", ["-c", `${cmd} | wc -c`], { encoding: "utf8" });
  const ms = performance.now() - t0;
  if (Number(r.stdout.trim()) !== bytes)
    throw new Error(`${cmd}: got ${r.stdout.trim()} bytes: ${r.stderr}`);
  return bytes / MB / (ms / 1000);
}

const dir = mkdtempSync(join(tmpdir(), "vmrng-bench-"));
const runDir = join(dir, "run");
const file = join(dir, "bench64.yaml");
writeFileSync(file, clusterYaml());
const guests = 2 * GUESTS_PER_HV;

const baselineMs = await bareNodes(guests);
const up = await run([
  "up",
  "-f",
  file,
  "--detach",
  "--wait",
  "--timeout",
  "60",
  "--json",
  "--run-dir",
  runDir,
]);
const rows: BenchRow[] = [];
try {
  if (up.code !== 0) throw new Error(`vmrng up exited ${up.code}: ${up.stderr}`);
  const result = JSON.parse(up.stdout) as { ok: boolean; guests: { state: string }[] };
  const ready = result.guests.filter((g) => g.state === "reached").length;
  if (ready !== guests) throw new Error(`only ${ready}/${guests} guests reached READY`);
  rows.push(
    ratioRow(`up --wait: ${guests} guests READY (wall)`, "ms", up.ms, baselineMs, "<= 10000 ms"),
  );

  const state = JSON.parse(readFileSync(join(runDir, "state.json"), "utf8")) as {
    nodes: { id: string; role: string; pid: number }[];
  };
  const guestPids = state.nodes.filter((n) => n.role === "guest").map((n) => n.pid);
  const hvPids = state.nodes.filter((n) => n.role === "hypervisor").map((n) => n.pid);
  if (guestPids.length !== guests) throw new Error(`state.json lists ${guestPids.length} guests`);
  const bare = await bareNodeRss();
  const mean = (pids: number[]) => pids.reduce((a, p) => a + rssBytes(p), 0) / pids.length;
  rows.push(
    ratioRow("RSS per guest process (mean)", "MB", mean(guestPids) / MB, bare / MB, "<= 60 MB"),
  );
  rows.push(ratioRow("RSS per hypervisor process (mean)", "MB", mean(hvPids) / MB, bare / MB));

  const n = 32 * MB;
  const urandom = pipeThroughput(`head -c ${n} /dev/urandom`, n);
  const dump = pipeThroughput(
    `"${process.execPath}" "${VMRNG}" dump hv1-g0 -n 32M --run-dir "${runDir}"`,
    n,
  );
  rows.push(ratioRow("dump -n 32M throughput", "MiB/s", dump, urandom));
} finally {
  const down = await run(["down", "--run-dir", runDir]);
  if (down.code !== 0) console.error(`vmrng down exited ${down.code}: ${down.stderr}`);
}
writeSuite("cluster", rows);
