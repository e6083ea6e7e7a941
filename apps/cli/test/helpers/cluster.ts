import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, type RunState } from "@vmrng/cluster";
import { vmrng } from "./run-vmrng.js";

export function readState(runDir: string): RunState | undefined {
  const f = join(runDir, "state.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as RunState) : undefined;
}

/** A pid counts as alive while it runs; a zombie waiting to be reaped does not. */
export const pidAlive = isAlive;

/**
 * For afterAll: `vmrng down`, and if anything recorded still runs after that (or down failed),
 * SIGKILL it, so a failing test never leaves a cluster behind.
 */
export async function forceDown(runDir: string, pids: Iterable<number> = []): Promise<void> {
  const all = new Set(pids);
  for (const n of readState(runDir)?.nodes ?? []) all.add(n.pid);
  const hostPid = readState(runDir)?.hostPid;
  if (hostPid) all.add(hostPid);
  if (readState(runDir))
    await vmrng(["down", "--timeout", "3", "--run-dir", runDir], { timeoutMs: 20_000 });
  for (const pid of all) {
    if (!pidAlive(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
}
