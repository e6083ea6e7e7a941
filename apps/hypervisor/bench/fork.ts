/**
 * Suite "fork" (issue 6): what cloning a running VM costs and how long a clone repeats its
 * parent, measured through real processes (host, hypervisor, guests) in a temp run dir.
 *
 *  - clone latency: snap.clone (snapshot through the clone resumed and READY) against a cold
 *    boot of the same guest (vm.restart until READY) in the same run;
 *  - duplicate-output window, mode notify: wall ms after the clone resumed during which its
 *    getrandom output still equals its parent's, against the configured notifyDelayMs;
 *  - the same window in mode counter, which must be 0 (no identical block at all).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { percentile, ratioRow, writeSuite } from "@vmrng/benchkit";
import { isAlive, parseClusterText, RunDir, spawnNode } from "@vmrng/cluster";
import { ControlClient } from "@vmrng/cluster/control";

const HOST_MAIN = fileURLToPath(new URL("../../host/dist/main.js", import.meta.url));
const NOTIFY_DELAY_MS = 200;
const ROUNDS = 5;

const root = mkdtempSync(join(tmpdir(), "vmrng-fork-bench-"));
const runDir = new RunDir(join(root, "run"));
runDir.create();
const yaml = `
name: fork-bench
hypervisors:
  - id: hv1
    guests:
      - { id: n, rdrand: { mode: absent }, msr: { enabled: false }, vmgenid: { mode: notify, notifyDelayMs: ${NOTIFY_DELAY_MS} } }
      - { id: k, rdrand: { mode: absent }, msr: { enabled: false }, vmgenid: { mode: counter, notifyDelayMs: ${NOTIFY_DELAY_MS} } }
`;
writeFileSync(runDir.clusterFile, JSON.stringify(parseClusterText(yaml, "fork-bench.yaml")));
const host = spawnNode(HOST_MAIN, {
  id: "host",
  args: ["--run-dir", runDir.root],
  logFile: join(runDir.root, "host.stdio.log"),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > end) throw new Error(`fork bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

let c: ControlClient | null = null;
try {
  await until(async () => Boolean(runDir.readState()), 15_000, "the host");
  c = await ControlClient.connect(runDir);
  const ctl = c;
  const ready = async (vm: string) => (await ctl.status([vm]))[0]?.crng?.init === "READY";
  const hex = async (vm: string) => Buffer.from(await ctl.getrandom(vm, 32, 0)).toString("hex");
  for (const vm of ["n", "k"]) await until(() => ready(vm), 30_000, `${vm} READY`);

  const cold: number[] = [];
  const cloneMs: number[] = [];
  const windowNotify: number[] = [];
  const windowCounter: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    await ctl.restart("n");
    await until(() => ready("n"), 30_000, "n READY after restart");
    cold.push(performance.now() - t);

    await hex("n"); // a reseed now, so none falls inside the measurement
    t = performance.now();
    await ctl.clone("n", `n-c${r}`);
    const resumed = performance.now();
    cloneMs.push(resumed - t);
    // Read parent and clone in lockstep until their outputs part.
    let last = resumed;
    for (;;) {
      const [p, q] = await Promise.all([hex("n"), hex(`n-c${r}`)]);
      if (p !== q) break;
      last = performance.now();
      if (last - resumed > 10_000) throw new Error("fork bench: the clone never diverged");
    }
    windowNotify.push(last - resumed);
    await ctl.kill(`n-c${r}`).catch(() => undefined);

    await hex("k");
    await ctl.clone("k", `k-c${r}`);
    const [p, q] = await Promise.all([hex("k"), hex(`k-c${r}`)]);
    windowCounter.push(p === q ? 1 : 0);
    await ctl.kill(`k-c${r}`).catch(() => undefined);
  }
  const med = (xs: number[]) => percentile(xs, 50);
  writeSuite("fork", [
    ratioRow("clone latency (snapshot -> clone resumed, READY)", "ms", med(cloneMs), med(cold)),
    ratioRow(
      "duplicate-output window, notify (vs notifyDelayMs)",
      "ms",
      med(windowNotify),
      NOTIFY_DELAY_MS,
    ),
    ratioRow(
      "identical first blocks, counter (per clone; vs notify window rounds)",
      "count",
      windowCounter.reduce((a, b) => a + b, 0),
      ROUNDS,
    ),
  ]);
  console.log(
    `  baseline of clone latency: cold boot (vm.restart -> READY) of the same guest, median ${med(cold).toFixed(1)} ms`,
  );
} finally {
  await c?.down(5000).catch(() => undefined);
  await c?.close().catch(() => undefined);
  await Promise.race([host.exited, sleep(8000)]);
  for (const n of runDir.readState()?.nodes ?? [])
    if (isAlive(n.pid)) process.kill(n.pid, "SIGKILL");
  rmSync(root, { recursive: true, force: true });
}
