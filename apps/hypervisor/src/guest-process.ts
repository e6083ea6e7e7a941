import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { isAlive } from "@vmrng/cluster";

/**
 * A guest VM's process as its hypervisor holds it: one it started, or one it adopted after a
 * restart. Guests outlive their hypervisor (like VMs across a libvirtd restart, which re-attaches
 * to running domains from /run/libvirt/qemu/*.xml): a hypervisor that comes back finds them
 * through its VM manifest and takes them over by pid.
 */
export interface GuestProcess {
  readonly pid: number;
  /** True when this incarnation of the hypervisor started it (it knows the exit code). */
  readonly spawned: boolean;
  signal(sig: NodeJS.Signals): void;
  /** Resolves with the exit code (128 + signal), or null for an adopted process (unknown). */
  readonly exited: Promise<number | null>;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGABRT: 6,
  SIGSEGV: 11,
};

/**
 * Starts a guest. Its stdout and stderr go straight to its log file, not through a pipe to this
 * process, so the guest keeps running (and logging) when the hypervisor dies; stdin is closed.
 */
export function spawnGuestProcess(
  script: string,
  opts: { id: string; logFile: string; env: NodeJS.ProcessEnv; execArgv?: readonly string[] },
): GuestProcess {
  const fd = openSync(opts.logFile, "a", 0o600);
  let proc: ReturnType<typeof spawn>;
  try {
    proc = spawn(process.execPath, [...(opts.execArgv ?? []), script], {
      stdio: ["ignore", fd, fd],
      env: opts.env,
    });
  } finally {
    closeSync(fd);
  }
  if (proc.pid === undefined) throw new Error(`${opts.id}: could not start ${script}`);
  const exited = new Promise<number>((resolve) => {
    proc.once("exit", (code, signal) =>
      resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0)),
    );
  });
  return {
    pid: proc.pid,
    spawned: true,
    exited,
    signal: (sig) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    },
  };
}

/** How often an adopted guest's pid is checked: it is not our child, so no exit event comes. */
const ADOPTED_POLL_MS = 200;

/** Takes over a running guest by pid (after a hypervisor restart). */
export function adoptGuestProcess(pid: number): GuestProcess {
  const exited = new Promise<null>((resolve) => {
    const timer = setInterval(() => {
      if (!isAlive(pid)) {
        clearInterval(timer);
        resolve(null);
      }
    }, ADOPTED_POLL_MS);
    timer.unref();
  });
  return {
    pid,
    spawned: false,
    exited,
    signal: (sig) => {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    },
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopGuestProcess(p: GuestProcess, graceMs: number): Promise<number | null> {
  p.signal("SIGTERM");
  const timer = setTimeout(() => p.signal("SIGKILL"), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}
