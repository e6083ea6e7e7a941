import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GuestScriptOptions, guestInitScript } from "./guest-script.js";
import { buildInitramfs } from "./initramfs.js";
import { type DebianKernel, defaultCacheDir, ensureDebianKernel } from "./kernel-package.js";
import { findQemu, findStaticBusybox } from "./locate.js";

export { buildCpio, type CpioEntry, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG } from "./cpio.js";
export { elfIsDynamic, elfSection } from "./elf.js";
export { QemuHarnessError, type QemuHarnessErrorCode } from "./errors.js";
export {
  GUEST_MARK,
  type GuestEvent,
  type GuestScriptOptions,
  guestInitScript,
  HWRNG_READ_BYTES,
  KMSG_LOADING,
  parseGuestLine,
} from "./guest-script.js";
export { buildInitramfs, type InitramfsOptions } from "./initramfs.js";
export {
  type DebianKernel,
  defaultCacheDir,
  ensureDebianKernel,
  KERNEL_METAPACKAGE,
  readModuleFile,
  resolveKernelPackage,
  VIRTIO_RNG_MODULES,
} from "./kernel-package.js";
export { findQemu, findStaticBusybox, which } from "./locate.js";
export {
  type LoadPlan,
  type ModInfo,
  moduleIndex,
  moduleName,
  parseModinfo,
  planModuleLoad,
} from "./modules.js";
export { DEFAULT_APPEND, QemuGuest, type QemuOptions, qemuArgs, type RngBackend } from "./qemu.js";

export interface GuestImage {
  kernel: DebianKernel;
  /** The initramfs file (in a temp directory `dispose()` removes). */
  initrd: string;
  dispose(): void;
}

/**
 * Everything a QEMU boot needs, checked up front: QEMU itself, a static busybox, the cached
 * (or freshly downloaded) Debian kernel and its virtio-rng modules, and an initramfs whose
 * /init runs `script`.
 */
export function prepareGuestImage(
  script: Omit<GuestScriptOptions, "modules">,
  opts: { cacheDir?: string; note?: (message: string) => void } = {},
): GuestImage {
  findQemu();
  const busybox = findStaticBusybox();
  const kernel = ensureDebianKernel(opts.cacheDir ?? defaultCacheDir(), opts.note);
  const init = guestInitScript({ ...script, modules: kernel.modules.load.map((m) => m.name) });
  const dir = mkdtempSync(join(tmpdir(), "vmrng-initrd-"));
  const initrd = join(dir, "initrd.cpio");
  writeFileSync(initrd, buildInitramfs({ kernel, busybox, init }));
  return { kernel, initrd, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
