export type QemuHarnessErrorCode =
  /** qemu-system-x86_64 (Debian: qemu-system-x86) is not installed. */
  | "E_QEMU_MISSING"
  /** No static busybox (Debian: busybox-static). */
  | "E_BUSYBOX"
  /** apt could not name or download the kernel package. */
  | "E_APT"
  /** The kernel package lacks something the guest needs (vmlinuz, a module). */
  | "E_KERNEL"
  /** A file is not what it claims to be (ELF parse, module info). */
  | "E_BAD_FILE"
  /** The guest did not print what was expected in time, or QEMU exited early. */
  | "E_GUEST";

/** Every failure of the real-VM harness, with the fix in the message where there is one. */
export class QemuHarnessError extends Error {
  override readonly name = "QemuHarnessError";
  constructor(
    readonly code: QemuHarnessErrorCode,
    message: string,
  ) {
    super(message);
  }
}
