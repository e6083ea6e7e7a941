export { GUEST_CHANNELS, type GuestChannel, type GuestChannelStats } from "./accounting.js";
export { buildCpu, GuestArch, instructionModes } from "./arch.js";
export {
  type BootImageInput,
  bootImageInput,
  type GuestMemoryRegion,
  loadGuestMemory,
} from "./boot-image.js";
export { commandLineFor, effectiveTrustCpu } from "./command-line.js";
export {
  DEFAULT_COMMAND_LINE,
  IDLE_LOOP_IP,
  INIT_PROCESS,
  MODEL_IRQS,
  PANIC_EXIT_CODE,
} from "./constants.js";
export { linuxBanner } from "./early-boot.js";
export {
  GUEST_ERRNO,
  type GuestErrnoName,
  GuestKernelError,
  type GuestKernelErrorCode,
  GuestSyscallError,
} from "./errors.js";
export type { GuestEvent, GuestEventKind, GuestEventListener } from "./events.js";
export {
  type BootResult,
  GuestKernel,
  type VmforkNotice,
  type VmgenidNotifyOutcome,
} from "./guest-kernel.js";
export type { GuestBootInput, GuestKernelOptions } from "./options.js";
export { type KernelLogLine, type LogLevel, printkTimestamp } from "./printk.js";
export type { ReadinessSource } from "./readiness.js";
export {
  GUEST_SNAPSHOT_FORMAT,
  GUEST_SNAPSHOT_VERSION,
  type GuestKernelSnapshot,
} from "./snapshot.js";
export type { GuestPhase, GuestStatus } from "./status.js";
export type { GuestTransport, VirtioDescriptor, WakeListener } from "./transport.js";
