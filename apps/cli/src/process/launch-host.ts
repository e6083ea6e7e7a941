import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunDir, RunState } from "@vmrng/cluster";
import { RunStateError, readRunState } from "@vmrng/cluster/control";
import { CliError, ExitCode } from "../exit-codes.js";
import { hostScript } from "./host-script.js";
import { sleep } from "./pids.js";

export interface LaunchedHost {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (128 + signal number when killed) once the host is gone. */
  readonly exited: Promise<number>;
  /** The host's own stdout/stderr (crash traces before its logging is up). */
  readonly stdioLog: string;
}

/** Where the host's raw stdout/stderr go: beside, not inside, the per-node logs. */
export const hostStdioLog = (runDir: RunDir): string => join(runDir.root, "host.stdio.log");

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Starts `node apps/host/dist/main.js --run-dir DIR` in a process group of its own, so a Ctrl-C
 * at the terminal reaches only the CLI, which then stops the cluster in order. In the foreground
 * the host's stdin is a pipe from us: if the CLI dies, even by SIGKILL, the pipe closes and the
 * cluster goes with it. Detached, it gets no stdin and outlives us.
 */
export function launchHost(runDir: RunDir, detach: boolean): LaunchedHost {
  const script = hostScript();
  const stdioLog = hostStdioLog(runDir);
  const out = openSync(stdioLog, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [script, "--run-dir", runDir.root], {
      stdio: [detach ? "ignore" : "pipe", out, out],
      detached: true,
      env: process.env,
    });
  } finally {
    closeSync(out);
  }
  if (child.pid === undefined) throw new CliError(`could not start ${script}`, ExitCode.FAILURE);
  child.stdin?.on("error", () => {});
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) =>
      resolve(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0)),
    );
  });
  if (detach) child.unref();
  return { pid: child.pid, child, exited, stdioLog };
}

/** The last `n` lines of a file, for error messages ("" if unreadable). */
export function tail(file: string, n = 15): string {
  try {
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    return lines.slice(-n).join("\n");
  } catch {
    return "";
  }
}

/**
 * Waits until the host we started records itself in state.json (it does so once its control
 * endpoint listens). Fails fast, with the host's last output, if it exits first.
 */
export async function waitForHostState(
  runDir: RunDir,
  host: LaunchedHost,
  timeoutMs: number,
): Promise<RunState> {
  let exitCode: number | undefined;
  void host.exited.then((c) => {
    exitCode = c;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let state: RunState | undefined;
    try {
      state = readRunState(runDir);
    } catch (err) {
      if (!(err instanceof RunStateError)) throw err;
    }
    if (state?.hostPid === host.pid) return state;
    if (exitCode !== undefined) {
      const last = tail(host.stdioLog) || tail(runDir.logFile("host"));
      throw new CliError(
        `the host exited (status ${exitCode}) before its control endpoint was up` +
          (last ? `; its last output:\n${last}` : ` (see ${host.stdioLog})`),
        ExitCode.FAILURE,
      );
    }
    if (Date.now() > deadline) {
      try {
        process.kill(-host.pid, "SIGKILL");
      } catch {}
      throw new CliError(
        `the host (pid ${host.pid}) did not write ${runDir.stateFile} within ${timeoutMs / 1000} s; killed it`,
        ExitCode.FAILURE,
      );
    }
    await sleep(20);
  }
}
