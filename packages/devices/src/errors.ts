/**
 * Every error this package raises is a `DevicesError` with a machine-readable `code`, so a
 * process can route bad input from a guest or a hostile loader without string matching.
 */
export class DevicesError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A guest-physical access outside the modelled RAM, or a malformed access. */
export class GuestMemoryError extends DevicesError {}

/** Loader-side problems building boot_params / setup_data. */
export class BootImageError extends DevicesError {}

/** One problem found while walking a (possibly hostile) setup_data list. */
export class SetupDataError extends DevicesError {
  constructor(
    code: "LOOP" | "OUT_OF_RANGE" | "TOO_MANY_NODES" | "BAD_HEADER" | "SEED_TOO_LARGE",
    message: string,
    /** Guest-physical address of the offending node (0n for the zero page itself). */
    readonly addr: bigint,
  ) {
    super(code, message);
  }
}

/** Bad configuration passed to a device or driver constructor. */
export class DeviceConfigError extends DevicesError {}

/** A request the virtio-rng device refuses (the guest broke the virtqueue rules). */
export class VirtioRngError extends DevicesError {}

/** An x86 exception raised by an emulated instruction (#UD when RDRAND is not implemented). */
export class X86Fault extends DevicesError {}

/** `panic()` in the emulated kernel: the process should stop the guest and report `message`. */
export class KernelPanic extends DevicesError {
  constructor(readonly panicMessage: string) {
    // kernel/panic.c prints "Kernel panic - not syncing: <msg>".
    super("KERNEL_PANIC", `Kernel panic - not syncing: ${panicMessage}`);
  }
}
