import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";

export interface SpawnNodeOptions {
  /** Node id, used for log prefixes and errors. */
  id: string;
  /** Arguments after the script. */
  args?: readonly string[];
  /** Every stdout/stderr line is appended here (created 0600). */
  logFile?: string;
  /** Called with each output line, e.g. to print it prefixed in the foreground. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  env?: NodeJS.ProcessEnv;
}

/** A child Node process whose output is captured line by line. */
export interface NodeChild {
  readonly id: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or 128 + signal number) once the process is gone. */
  readonly exited: Promise<number>;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGABRT: 6,
};

/**
 * Starts `node script …`. Its stdin is a pipe the child never reads but watches (see
 * exitWithParent): when this process dies, even by SIGKILL, the pipe closes and the child exits,
 * so a cluster never leaves orphans behind.
 */
export function spawnNode(script: string, opts: SpawnNodeOptions): NodeChild {
  const proc = spawn(process.execPath, [script, ...(opts.args ?? [])], {
    stdio: ["pipe", "pipe", "pipe"],
    env: opts.env ?? process.env,
  });
  if (proc.pid === undefined) throw new Error(`${opts.id}: could not start ${script}`);
  let log: WriteStream | undefined;
  if (opts.logFile) log = createWriteStream(opts.logFile, { flags: "a", mode: 0o600 });
  const pending: Promise<void>[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    const rl = createInterface({ input: proc[stream]!, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on("line", (line) => {
      log?.write(`${line}\n`);
      opts.onLine?.(line, stream);
    });
    pending.push(new Promise((r) => rl.once("close", r)));
  }
  const exited = new Promise<number>((resolve) => {
    proc.once("exit", (code, signal) => {
      // Wait for the last output lines before closing the log.
      void Promise.all(pending).then(() => {
        log?.end();
        resolve(code ?? 128 + (SIGNALS[signal ?? ""] ?? 0));
      });
    });
  });
  // Writing to a child that died must not crash us.
  proc.stdin?.on("error", () => {});
  return { id: opts.id, proc, pid: proc.pid, exited };
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export async function stopChild(child: NodeChild, graceMs = 3000): Promise<number> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return child.exited;
  child.proc.kill("SIGTERM");
  const timer = setTimeout(() => child.proc.kill("SIGKILL"), graceMs);
  try {
    return await child.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * In a child started by spawnNode: run `onParentGone` when the parent's stdin pipe closes
 * (the parent exited or was killed). Only for processes whose stdin is that pipe.
 */
export function exitWithParent(onParentGone: () => void): void {
  process.stdin.on("end", onParentGone);
  process.stdin.on("error", onParentGone);
  process.stdin.resume();
}

/**
 * True when a process with this pid is running. A zombie (exited, not yet reaped by its parent
 * or by init) is not running: on Linux its /proc/<pid>/stat state is "Z", although kill(pid, 0)
 * still succeeds.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Format: "pid (comm) S ...": comm may hold spaces and parentheses, so split at the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs (not Linux): kill(0) is all we know
  }
}
