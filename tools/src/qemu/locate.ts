import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { elfIsDynamic } from "./elf.js";
import { QemuHarnessError } from "./errors.js";

/** The first executable called `name` on PATH (plus the sbin directories apt installs to). */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/** qemu-system-x86_64, or an error that says how to install it (VMRNG_QEMU overrides). */
export function findQemu(): string {
  const override = process.env.VMRNG_QEMU;
  if (override) {
    try {
      accessSync(override, constants.X_OK);
      return override;
    } catch {
      throw new QemuHarnessError("E_QEMU_MISSING", `VMRNG_QEMU=${override} is not an executable`);
    }
  }
  const p = which("qemu-system-x86_64");
  if (!p)
    throw new QemuHarnessError(
      "E_QEMU_MISSING",
      "qemu-system-x86_64 is not installed: apt-get install -y qemu-system-x86 (Debian/Ubuntu)",
    );
  return p;
}

/**
 * A statically linked busybox for the initramfs (it has no libc to load). Debian's
 * busybox-static installs one as /bin/busybox; VMRNG_BUSYBOX overrides.
 */
export function findStaticBusybox(): string {
  const p = process.env.VMRNG_BUSYBOX ?? which("busybox");
  if (!p)
    throw new QemuHarnessError(
      "E_BUSYBOX",
      "busybox is not installed: apt-get install -y busybox-static",
    );
  if (elfIsDynamic(new Uint8Array(readFileSync(p)), p))
    throw new QemuHarnessError(
      "E_BUSYBOX",
      `${p} is dynamically linked and cannot run alone in an initramfs: apt-get install -y busybox-static`,
    );
  return p;
}
