import { GUEST_PANIC_EXIT_CODE } from "@vmrng/cluster";

/**
 * The exit code of a guest process whose kernel panicked (e.g. cc_random_init()'s
 * `panic("RDRAND is defective.")`): the cluster-wide GUEST_PANIC_EXIT_CODE (86), so the
 * hypervisor tells "panicked" from "crashed" (1 for an uncaught exception, Node's own 2..13,
 * 128 + signal).
 */
export const PANIC_EXIT_CODE: typeof GUEST_PANIC_EXIT_CODE = GUEST_PANIC_EXIT_CODE;

/** What `init=` defaults to first: kernel_init() tries /sbin/init (init/main.c). */
export const INIT_PROCESS = "/sbin/init";

/**
 * The command line a vmrng guest boots with when none is given: a serial console, reboot by
 * keyboard controller and reboot 1 s after a panic, as microVM launchers pass. random.* options
 * are appended from the GuestSpec (see command-line.ts).
 */
export const DEFAULT_COMMAND_LINE = "console=ttyS0 reboot=k panic=1";

/**
 * LINUX_COMPILE_BY@LINUX_COMPILE_HOST and LINUX_COMPILER of the banner
 * (init/version-timestamp.c: "Linux version " UTS_RELEASE " (" LINUX_COMPILE_BY "@"
 * LINUX_COMPILE_HOST ") (" LINUX_COMPILER ") " UTS_VERSION).
 */
export const COMPILE_BY_HOST = "vmrng@vmrng";
export const COMPILER = "vmrng emulated kernel, TypeScript";

/**
 * Device interrupts the model raises: four MSI vectors (IRQ numbers 24..27, the first ones
 * above the IO-APIC legacy range on a KVM guest), round-robin over the vCPUs. The interrupted
 * instruction pointer is the idle loop's: a quiet VM is idle when its interrupts arrive, so
 * the only varying input is the cycle counter, which is exactly what Linux relies on.
 */
export const MODEL_IRQS = [24, 25, 26, 27] as const;
export const IDLE_LOOP_IP = 0xffff_ffff_81e0_0000n;

/** Lines kept in the printk ring before the oldest are overwritten (log_buf_len is bounded too). */
export const DEFAULT_MAX_LOG_LINES = 8192;
/** Guest events kept for events(); listeners see every one. */
export const DEFAULT_MAX_EVENTS = 8192;
