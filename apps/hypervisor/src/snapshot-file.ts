import { readFileSync } from "node:fs";
import { join } from "node:path";
import { atomicWriteFile, type GuestSpec } from "@vmrng/cluster";
import { WireError } from "@vmrng/wire";

export const SNAPSHOT_FORMAT = "vmrng-snapshot/1";

/**
 * A VM snapshot as the hypervisor keeps it: the guest's own saved state (opaque here) plus
 * what only the VMM holds: the VM's configuration and its device memory (the vmgenid bytes,
 * the VMClock generation counter), which a restore or clone starts from and then advances.
 */
export interface VmSnapshot {
  vm: string;
  hypervisor: string;
  takenAt: string;
  vtimeMs: number;
  spec: GuestSpec;
  vmgenidId: Uint8Array | null;
  generationCounter: bigint | null;
  state: Uint8Array;
}

/** Where snapshot `name` lives in a run directory's snapshots/ folder. */
export function snapshotPath(snapshotDir: string, name: string): string {
  return join(snapshotDir, `${name}.snap`);
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** Atomic (temp file, fsync, rename), mode 0600: it holds the guest's CRNG key. */
export function writeSnapshot(path: string, s: VmSnapshot): number {
  const text = JSON.stringify({
    format: SNAPSHOT_FORMAT,
    vm: s.vm,
    hypervisor: s.hypervisor,
    takenAt: s.takenAt,
    vtimeMs: s.vtimeMs,
    spec: s.spec,
    vmgenidId: s.vmgenidId ? b64(s.vmgenidId) : null,
    generationCounter: s.generationCounter === null ? null : s.generationCounter.toString(),
    state: b64(s.state),
  });
  const bytes = Buffer.from(text, "utf8");
  atomicWriteFile(path, bytes, 0o600);
  return bytes.length;
}

export function readSnapshot(path: string): VmSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new WireError(
      e.code === "ENOENT" ? "E_NOT_FOUND" : "E_INVALID",
      `snapshot ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`,
    );
  }
  const o = raw as Record<string, unknown>;
  const bad = (what: string): never => {
    throw new WireError("E_INVALID", `snapshot ${path}: ${what}`);
  };
  if (typeof o !== "object" || o === null || o.format !== SNAPSHOT_FORMAT) {
    bad(`format must be ${SNAPSHOT_FORMAT}`);
  }
  if (typeof o.vm !== "string" || typeof o.hypervisor !== "string") bad("vm/hypervisor");
  if (typeof o.vtimeMs !== "number" || !Number.isFinite(o.vtimeMs)) bad("vtimeMs");
  if (typeof o.spec !== "object" || o.spec === null) bad("spec");
  if (typeof o.state !== "string") bad("state");
  if (o.vmgenidId !== null && typeof o.vmgenidId !== "string") bad("vmgenidId");
  if (o.generationCounter !== null && typeof o.generationCounter !== "string") {
    bad("generationCounter");
  }
  return {
    vm: o.vm as string,
    hypervisor: o.hypervisor as string,
    takenAt: String(o.takenAt),
    vtimeMs: o.vtimeMs as number,
    spec: o.spec as GuestSpec,
    vmgenidId: o.vmgenidId ? new Uint8Array(Buffer.from(o.vmgenidId as string, "base64")) : null,
    generationCounter: o.generationCounter === null ? null : BigInt(o.generationCounter as string),
    state: new Uint8Array(Buffer.from(o.state as string, "base64")),
  };
}
