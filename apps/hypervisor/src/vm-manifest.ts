import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { atomicWriteFile, type GuestSpec } from "@vmrng/cluster";

/**
 * What a hypervisor must know to take its VMs back after it was killed and restarted: the port
 * guests reconnect to, and per VM its configuration (clones are not in the cluster file), its
 * process, and the device identity that must survive (vmgenid id, VMClock counter: a hypervisor
 * restart is not a VM fork). The libvirtd counterpart is the domain status XML it keeps in
 * /run/libvirt/qemu/ and re-reads at startup (qemuProcessReconnect).
 */
export const VM_MANIFEST_FORMAT = "vmrng-vms/1";

export interface VmRecord {
  id: string;
  spec: GuestSpec;
  pid: number | null;
  /** The current process incarnation (its token derives from it); null: no process wanted. */
  incarnation: string | null;
  /** The kernel accepted a boot (or a saved state): a rejoining process must not boot again. */
  booted: boolean;
  resumedFrom: string | null;
  kexecs: number;
  /** hex, 16 bytes */
  vmgenidId: string | null;
  /** decimal u64 */
  generationCounter: string | null;
}

export interface VmManifest {
  format: typeof VM_MANIFEST_FORMAT;
  hypervisor: string;
  port: number;
  vms: VmRecord[];
}

/** The manifest at `path`, or null when there is none (a first start) or it is unusable. */
export function readVmManifest(
  path: string,
  hypervisor: string,
): { manifest: VmManifest | null; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { manifest: null };
    return { manifest: null, problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  try {
    const m = JSON.parse(text) as Partial<VmManifest>;
    if (m.format !== VM_MANIFEST_FORMAT || m.hypervisor !== hypervisor || !Array.isArray(m.vms)) {
      return { manifest: null, problem: `${path} is not a ${VM_MANIFEST_FORMAT} of ${hypervisor}` };
    }
    if (!Number.isInteger(m.port) || (m.port as number) < 1 || (m.port as number) > 65535) {
      return { manifest: null, problem: `${path} has no valid port` };
    }
    return { manifest: m as VmManifest };
  } catch (err) {
    return { manifest: null, problem: `${path}: ${(err as Error).message}` };
  }
}

/**
 * Keeps the manifest current: bursts of changes (64 guests starting) coalesce into one atomic
 * write (temp file, fsync, rename), so a SIGKILL at any instant leaves the old or the new file.
 */
export class VmManifestWriter {
  private queued = false;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => VmManifest,
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }

  schedule(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      this.writeNow();
    });
  }

  writeNow(): void {
    atomicWriteFile(this.path, `${JSON.stringify(this.snapshot(), null, 1)}\n`);
  }
}
