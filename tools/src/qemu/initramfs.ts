import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildCpio, type CpioEntry, S_IFCHR, S_IFDIR, S_IFREG } from "./cpio.js";
import type { DebianKernel } from "./kernel-package.js";
import { readModuleFile } from "./kernel-package.js";

export interface InitramfsOptions {
  kernel: DebianKernel;
  /** Path of a static busybox. */
  busybox: string;
  /** The /init shell script (see guestInitScript). */
  init: string;
}

/**
 * The guest's whole userspace: a newc cpio with a static busybox, the kernel's virtio-rng
 * modules as /lib/modules/<name>.ko, /init, and /dev/console: the kernel opens it for init's
 * stdin/stdout before anything could mount devtmpfs (init/main.c, console_on_rootfs).
 */
export function buildInitramfs(o: InitramfsOptions): Uint8Array {
  const dir = (path: string): CpioEntry => ({ path, mode: S_IFDIR | 0o755 });
  const entries: CpioEntry[] = [
    dir("bin"),
    dir("dev"),
    dir("proc"),
    dir("sys"),
    dir("tmp"),
    dir("lib"),
    dir("lib/modules"),
    { path: "dev/console", mode: S_IFCHR | 0o600, rdev: { major: 5, minor: 1 } },
    { path: "bin/busybox", mode: S_IFREG | 0o755, data: new Uint8Array(readFileSync(o.busybox)) },
    { path: "init", mode: S_IFREG | 0o755, data: new TextEncoder().encode(o.init) },
  ];
  for (const m of o.kernel.modules.load) {
    entries.push({
      path: `lib/modules/${m.name}.ko`,
      mode: S_IFREG | 0o644,
      data: readModuleFile(join(o.kernel.moduleDir, m.path)),
    });
  }
  return buildCpio(entries);
}
