import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

let counter = 0;

/**
 * Writes a file so that readers see either the old content or the new, never a torn file:
 * write a temp file beside it, fsync it, rename it over the target, fsync the directory.
 * `mode` applies from creation (0600 for tokens, snapshots and seeds), so a secret is never
 * readable by others even for an instant.
 */
export function atomicWriteFile(path: string, data: Uint8Array | string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.${++counter}.tmp`;
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let fd = openSync(tmp, "wx", mode);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fd = openSync(dirname(path), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
