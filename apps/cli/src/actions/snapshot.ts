import { readFileSync } from "node:fs";
import { join } from "node:path";
import { atomicWriteFile } from "@vmrng/cluster";
import { ControlClient } from "@vmrng/cluster/control";
import type { RunDirOptions } from "../commands/common.js";
import { CliError, ExitCode, exitCodeOf } from "../exit-codes.js";
import { runDirFrom } from "./run-dir.js";

/** The hypervisor's snapshot file format (apps/hypervisor/src/snapshot-file.ts). */
const SNAPSHOT_FORMAT = "vmrng-snapshot/1";
const snapFile = (dir: string, name: string) => join(dir, `${name}.snap`);

export interface SnapshotOptions extends RunDirOptions {
  output?: string;
  name?: string;
}

/** vmrng snapshot GUEST [-o FILE]: saved in the run dir; -o copies it out (atomic, 0600). */
export async function runSnapshot(guest: string, opts: SnapshotOptions): Promise<void> {
  const runDir = runDirFrom(opts);
  const client = await ControlClient.connect(runDir);
  try {
    const r = await client.snapshot(guest, opts.name);
    const src = snapFile(runDir.snapshotDir, r.snapshot);
    if (opts.output) atomicWriteFile(opts.output, readFileSync(src), 0o600);
    process.stdout.write(
      `${guest}: snapshot ${r.snapshot} (${r.size} bytes at guest time ${(r.vtimeMs / 1000).toFixed(3)} s) -> ${opts.output ?? src}\n`,
    );
  } catch (err) {
    throw new CliError(`snapshot ${guest}: ${(err as Error).message}`, exitCodeOf(err));
  } finally {
    await client.close();
  }
}

/** The VM a snapshot file was taken from, checked before anything is sent. */
function snapshotOrigin(file: string): string {
  let doc: { format?: unknown; vm?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? "no such file" : `is not a vmrng snapshot: ${e.message}`;
    throw new CliError(`restore: ${file} ${why}`, ExitCode.USAGE);
  }
  if (doc?.format !== SNAPSHOT_FORMAT || typeof doc.vm !== "string") {
    throw new CliError(
      `restore: ${file} is not a vmrng snapshot (${SNAPSHOT_FORMAT})`,
      ExitCode.USAGE,
    );
  }
  return doc.vm;
}

export interface RestoreOptions extends RunDirOptions {
  as?: string;
}

/**
 * vmrng restore FILE [--as ID]: the file is copied into the run dir's snapshots/; a running VM
 * named ID (default: the snapshot's own VM) is replaced by it, any other ID is started as a new
 * VM from it on the hypervisor of the snapshot's VM. Either way the devices move to a new
 * generation (new vmgenid, bumped counter) before the guest resumes.
 */
export async function runRestore(file: string, opts: RestoreOptions): Promise<void> {
  const origin = snapshotOrigin(file);
  const target = opts.as ?? origin;
  const runDir = runDirFrom(opts);
  const name = `restore-${Date.now().toString(36)}`;
  const client = await ControlClient.connect(runDir);
  try {
    atomicWriteFile(snapFile(runDir.snapshotDir, name), readFileSync(file), 0o600);
    const known = (await client.status()).some((n) => n.node === target);
    if (known) {
      const s = await client.restoreSnapshot(target, name);
      process.stdout.write(`${s.vm}: ${s.state}${s.pid === undefined ? "" : ` (pid ${s.pid})`}\n`);
    } else {
      const r = await client.clone(origin, target, name);
      process.stdout.write(`${r.vm}: running, restored from a snapshot of ${r.from}\n`);
    }
  } catch (err) {
    throw new CliError(`restore ${file}: ${(err as Error).message}`, exitCodeOf(err));
  } finally {
    await client.close();
  }
}

export interface CloneOptions extends RunDirOptions {
  count: number;
}

/** vmrng clone GUEST [--count N]: one snapshot, N clones named GUEST-c1, GUEST-c2, … (first free). */
export async function runClone(guest: string, opts: CloneOptions): Promise<void> {
  const client = await ControlClient.connect(runDirFrom(opts));
  try {
    const taken = new Set((await client.status()).map((n) => n.node));
    if (!taken.has(guest)) {
      throw new CliError(`clone: no node "${guest}" in the cluster`, ExitCode.NO_SUCH_NODE);
    }
    const snap = await client.snapshot(guest);
    let k = 0;
    for (let i = 0; i < opts.count; i++) {
      let id: string;
      do id = `${guest}-c${++k}`;
      while (taken.has(id));
      taken.add(id);
      const r = await client.clone(guest, id, snap.snapshot);
      process.stdout.write(`${r.vm}: running, cloned from ${r.from} (snapshot ${r.snapshot})\n`);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`clone ${guest}: ${(err as Error).message}`, exitCodeOf(err));
  } finally {
    await client.close();
  }
}
