import { atomicWriteFile, type RunDir } from "@vmrng/cluster";
import { readRunState } from "@vmrng/cluster/control";
import { loadClusterInput } from "../cluster-input/load-cluster.js";
import { note, type RunDirOptions } from "../commands/common.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { launchHost, waitForHostState } from "../process/launch-host.js";
import { isRunning } from "../process/pids.js";
import { recordedPids, teardown } from "../process/teardown.js";
import { runDetached } from "../up/detached.js";
import { runForeground } from "../up/foreground.js";
import { StartLock } from "../up/start-lock.js";
import { runDirFrom } from "./run-dir.js";

export interface UpOptions extends RunDirOptions {
  file?: string;
  set: string[];
  detach?: boolean;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

/** How long the host may take to listen and record itself. */
const HOST_START_MS = 15_000;

/** Refuses a run dir whose recorded host lives; clears what a dead one left behind. */
function claimRunDir(runDir: RunDir): void {
  let state: ReturnType<typeof readRunState>;
  try {
    state = readRunState(runDir);
  } catch {
    state = undefined; // unreadable state: nothing we could talk to anyway
  }
  if (state && isRunning(state.hostPid))
    throw new CliError(
      `a cluster ("${state.cluster}") is already running in ${runDir.root} (host pid ${state.hostPid}); ` +
        "stop it with 'vmrng down' or pick another --run-dir",
      ExitCode.ALREADY_RUNNING,
    );
  if (state) {
    const leftovers = recordedPids(state).filter(isRunning);
    if (leftovers.length)
      note(`the previous cluster's host died; stopping its leftover pids ${leftovers.join(", ")}`);
  }
}

export async function runUp(opts: UpOptions): Promise<void> {
  const runDir = runDirFrom(opts);
  const spec = loadClusterInput(opts.file, opts.set);
  const detach = opts.detach === true || opts.wait === true;
  if (opts.json && !detach)
    throw new CliError("--json needs --detach (the foreground view is for people)", ExitCode.USAGE);
  const timeoutMs = Math.round(opts.timeout * 1000);
  runDir.create();
  const lock = new StartLock(runDir);
  lock.acquire();
  let host: ReturnType<typeof launchHost>;
  let state: Awaited<ReturnType<typeof waitForHostState>>;
  try {
    claimRunDir(runDir);
    const stale = (() => {
      try {
        return readRunState(runDir);
      } catch {
        return undefined;
      }
    })();
    if (stale) await teardown(runDir, stale, undefined, 0);
    atomicWriteFile(runDir.clusterFile, `${JSON.stringify(spec, null, 2)}\n`, 0o600);
    host = launchHost(runDir, detach);
    state = await waitForHostState(runDir, host, HOST_START_MS);
  } finally {
    lock.release();
  }
  if (detach) {
    await runDetached(runDir, spec, host, state, {
      wait: opts.wait === true,
      timeoutMs,
      json: opts.json === true,
    });
    return;
  }
  process.exitCode = await runForeground(runDir, spec, host, state, Math.min(timeoutMs, 10_000));
}
