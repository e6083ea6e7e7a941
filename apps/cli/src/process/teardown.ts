import { rmSync } from "node:fs";
import type { RunDir, RunState } from "@vmrng/cluster";
import { type ControlClient, readRunState } from "@vmrng/cluster/control";
import { isRunning, looksLikeNode, waitGone, waitReaped } from "./pids.js";

export interface TeardownResult {
  /** The host acknowledged cluster.down. */
  graceful: boolean;
  /** Recorded pids still running after the grace period, which we SIGKILLed. */
  killed: number[];
  /** Pids that survived even SIGKILL (should be empty; reported, never hidden). */
  survivors: number[];
  /** Why the graceful path failed, if it did. */
  downError?: unknown;
}

/** Every pid the run directory has recorded, host first. */
export function recordedPids(state: RunState | undefined): number[] {
  if (!state) return [];
  return [...new Set([state.hostPid, ...state.nodes.map((n) => n.pid)])];
}

function latestState(runDir: RunDir): RunState | undefined {
  try {
    return readRunState(runDir);
  } catch {
    return undefined;
  }
}

/**
 * Stops a cluster so that nothing of it survives: ask the host for cluster.down (guests, then
 * hypervisors, gracefully), wait for the host to exit, then SIGKILL any recorded process still
 * running after `graceMs`, and remove state.json. Works without a client too (host already gone).
 */
export async function teardown(
  runDir: RunDir,
  known: RunState | undefined,
  client: ControlClient | undefined,
  timeoutMs: number,
  graceMs = 2000,
): Promise<TeardownResult> {
  const pids = new Set(recordedPids(known));
  let graceful = false;
  let downError: unknown;
  if (client) {
    try {
      await client.down(timeoutMs);
      graceful = true;
    } catch (err) {
      downError = err;
    }
    await client.close().catch(() => {});
  }
  // The host rewrites state.json as pids become known: take the last word.
  for (const p of recordedPids(latestState(runDir))) pids.add(p);
  const hostPid = known?.hostPid;
  if (hostPid !== undefined && graceful) await waitGone([hostPid], timeoutMs + graceMs + 3000);
  else if (hostPid !== undefined && client && isRunning(hostPid)) {
    // The host did not take cluster.down: it still stops its hypervisors on SIGTERM.
    try {
      process.kill(hostPid, "SIGTERM");
    } catch {}
    await waitGone([hostPid], timeoutMs + graceMs);
  }
  let alive = await waitGone([...pids], graceful ? graceMs : 0);
  for (const p of recordedPids(latestState(runDir)))
    if (isRunning(p) && !alive.includes(p)) alive.push(p);
  const killed: number[] = [];
  for (const pid of alive) {
    if (!looksLikeNode(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {}
  }
  alive = await waitGone(killed, 3000);
  if (alive.length === 0) rmSync(runDir.stateFile, { force: true });
  await waitReaped([...pids], 5000);
  return { graceful, killed, survivors: alive, ...(downError === undefined ? {} : { downError }) };
}
