import { ClusterNotRunningError, ControlClient, readRunState } from "@vmrng/cluster/control";
import type { Command } from "commander";
import { CliError, ExitCode } from "../exit-codes.js";
import { isRunning, waitGone } from "../process/pids.js";
import { recordedPids, teardown } from "../process/teardown.js";
import { examples, note, type RunDirOptions, runDirFrom, withRunDir } from "./common.js";
import { secondsArg } from "./getrandom.js";

interface DownOptions extends RunDirOptions {
  timeout: number;
}

export function registerDown(program: Command): void {
  const cmd = program
    .command("down")
    .summary("stop the cluster; no process of it survives")
    .description(
      "stop the cluster: guests first, then hypervisors, then the host; anything recorded that still runs after the grace period is killed, so no process of the cluster survives",
    )
    .option("--timeout <s>", "grace period before processes are killed", secondsArg, 10);
  withRunDir(cmd)
    .addHelpText("after", examples("vmrng down", "vmrng down --timeout 2 --run-dir /tmp/lab2"))
    .action(async (opts: DownOptions) => {
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
      note(`cluster "${state.cluster}" stopped (${n} processes)${how}`);
    });
}
