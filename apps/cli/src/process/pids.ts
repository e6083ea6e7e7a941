import { readFileSync } from "node:fs";
import { isAlive } from "@vmrng/cluster";

/** True while `pid` is a live process (a zombie counts as gone): the cluster package's check. */
export const isRunning = isAlive;

/**
 * Guards against pid reuse before we SIGKILL a recorded pid: on Linux the process must still be
 * a Node process (argv[0] is a node binary), as every vmrng node is. Elsewhere we cannot tell
 * and trust the record.
 */
export function looksLikeNode(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch (err) {
    return (
      (err as NodeJS.ErrnoException).code !== "ENOENT" || !process.platform.startsWith("linux")
    );
  }
  const argv0 = cmdline.split("\0")[0] ?? "";
  return argv0 === process.execPath || /(^|\/)node(js)?(\d+)?$/.test(argv0);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until every pid is gone or `timeoutMs` passes; returns those still running. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isRunning);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(25);
    alive = alive.filter(isRunning);
  }
  return alive;
}

/** True while the pid exists at all, zombies included (what kill(pid, 0) sees). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Waits (bounded) until exited pids are reaped. A detached host's parent is init, which reaps
 * on its own schedule (about 2 s on some sandboxes); until then kill(pid, 0) still succeeds, and
 * a script checking that nothing of the cluster is left would be misled.
 */
export async function waitReaped(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(pidExists);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter(pidExists);
  }
}
