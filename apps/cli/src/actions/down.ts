import { ClusterNotRunningError, ControlClient, readRunState } from "@vmrng/cluster/control";
import { note, type RunDirOptions } from "../commands/common.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { isRunning, waitGone } from "../process/pids.js";
import { recordedPids, teardown } from "../process/teardown.js";
import { runDirFrom } from "./run-dir.js";

export interface DownOptions extends RunDirOptions {
  timeout: number;
}

export async function runDown(opts: DownOptions): Promise<void> {
  const runDir = runDirFrom(opts);
  const timeoutMs = Math.round(opts.timeout * 1000);
  const state = readRunState(runDir);
  if (state === undefined) throw new ClusterNotRunningError(runDir.root, "no-state");
  if (!isRunning(state.hostPid)) {
    // The host is gone; its children should have followed, but make sure, then clean up.
    const r = await teardown(runDir, state, undefined, timeoutMs);
    const extra = r.killed.length ? `; killed leftover pids ${r.killed.join(", ")}` : "";
    throw new CliError(
      `no cluster is running in ${runDir.root}: recorded host pid ${state.hostPid} is not alive (removed its state${extra})`,
      ExitCode.NOT_RUNNING,
    );
  }
  let client: ControlClient | undefined;
  try {
    client = await ControlClient.connect(runDir);
  } catch (err) {
    if (!(err instanceof ClusterNotRunningError) || err.reason !== "unreachable") throw err;
    // Alive but deaf: ask it to stop with a signal; teardown kills what remains.
    note(`${err.message}; stopping it with SIGTERM`);
    try {
      process.kill(state.hostPid, "SIGTERM");
    } catch {}
    await waitGone([state.hostPid], timeoutMs);
  }
  const r = await teardown(runDir, state, client, timeoutMs);
  if (r.survivors.length)
    throw new CliError(
      `pids ${r.survivors.join(", ")} of the cluster survived SIGKILL; state kept in ${runDir.stateFile}`,
      ExitCode.FAILURE,
    );
  const n = recordedPids(state).length;
  const how = r.killed.length
    ? `; killed ${r.killed.length} that outlived the grace period (pids ${r.killed.join(", ")})`
    : "";
  note(`cluster "${state.cluster}" stopped (${n} process${n === 1 ? "" : "es"})${how}`);
}
