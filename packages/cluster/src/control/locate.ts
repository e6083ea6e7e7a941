import { existsSync, readFileSync } from "node:fs";
import { isAlive } from "../process/spawn-node.js";
import type { RunDir, RunState } from "../run-dir.js";
import { ClusterNotRunningError, RunStateError } from "./errors.js";

/**
 * Reads state.json without trusting it: a hand-edited or torn file is a RunStateError, not a
 * crash. Undefined when there is no state file.
 */
export function readRunState(runDir: RunDir): RunState | undefined {
  const file = runDir.stateFile;
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new RunStateError(file, `not valid JSON (${(err as Error).message})`);
  }
  const s = raw as Partial<RunState> | null;
  if (typeof s !== "object" || s === null) throw new RunStateError(file, "expected an object");
  if (s.format !== 1) throw new RunStateError(file, `unknown format ${JSON.stringify(s.format)}`);
  if (!Number.isInteger(s.hostPid) || (s.hostPid as number) <= 0)
    throw new RunStateError(file, "hostPid is not a pid");
  if (typeof s.controlUrl !== "string" || !/^wss?:\/\//.test(s.controlUrl))
    throw new RunStateError(file, "controlUrl is not a ws:// URL");
  if (!Array.isArray(s.nodes)) throw new RunStateError(file, "nodes is not a list");
  for (const n of s.nodes) {
    if (typeof n?.id !== "string" || typeof n.role !== "string" || !Number.isInteger(n.pid))
      throw new RunStateError(file, "nodes[] entries need id, role and pid");
  }
  return s as RunState;
}

/** The state of the cluster running in `runDir`; ClusterNotRunningError when there is none. */
export function locateCluster(runDir: RunDir): RunState {
  const state = readRunState(runDir);
  if (state === undefined) throw new ClusterNotRunningError(runDir.root, "no-state");
  if (!isAlive(state.hostPid))
    throw new ClusterNotRunningError(runDir.root, "host-dead", state.hostPid);
  return state;
}
