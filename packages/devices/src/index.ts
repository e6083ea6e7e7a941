export { type ChannelAccounting, ChannelCounters, type ChannelName } from "./accounting.js";
export * from "./boot/bootparam.js";
export { GuestMemory } from "./boot/guest-memory.js";
export { buildKexecImage, type KexecImageOptions } from "./boot/kexec.js";
export {
  type BootImage,
  type BootImageOptions,
  buildBootImage,
  type LoadedImageBytes,
  type PlacedSetupData,
  readLoadedImage,
  type SetupDataNodeSpec,
} from "./boot/loader.js";
export {
  type ConsumedSeed,
  type ParsedSetupData,
  type ParseSetupDataOptions,
  parseSetupData,
  type SeenSetupData,
} from "./boot/parse-setup-data.js";
export { type SeedPolicy, seedForPolicy } from "./boot/seed-policy.js";
export {
  decodeSetupDataHeader,
  encodeSetupData,
  type SetupDataHeader,
} from "./boot/setup-data.js";
export {
  bytesEqual,
  longsToBytes,
  readU32,
  readU64,
  toHex,
  U64_MAX,
  u64le,
  writeU32,
  writeU64,
} from "./bytes.js";
export { type ByteSource, ChaChaDrbg } from "./drbg/chacha-drbg.js";
export {
  BootImageError,
  DeviceConfigError,
  DevicesError,
  GuestMemoryError,
  KernelPanic,
  SetupDataError,
  VirtioRngError,
  X86Fault,
} from "./errors.js";
export * from "./msr/commonhv.js";
export { RngMsrGuest, RngMsrHost, type RngMsrHostOptions } from "./msr/device.js";
export {
  type AsyncCommonHvCpu,
  AsyncRngMsrDriver,
  type AsyncRngMsrDriverOptions,
  type CommonHvAnswer,
  type CommonHvInfo,
  type CommonHvRequest,
  probeCommonHv,
  probeCommonHvAsync,
  RngMsrDriver,
  type RngMsrDriverOptions,
  type RngMsrSeedResult,
} from "./msr/driver.js";
export { QemuRngQuota } from "./ratelimit/qemu-quota.js";
export {
  type BucketConfig,
  RateLimiter,
  type RateLimiterConfig,
  REFILL_TIMER_INTERVAL_MS,
  type TokenType,
} from "./ratelimit/rate-limiter.js";
export { type BucketReduction, TokenBucket } from "./ratelimit/token-bucket.js";
export type { EntropySink } from "./sink.js";
export {
  FIRECRACKER_RNG_QUEUE_SIZE,
  QEMU_RNG_QUEUE_SIZE,
  type UsedBuffer,
  type VirtioRngDescriptor,
  VirtioRngDevice,
  type VirtioRngDeviceOptions,
} from "./virtio-rng/device.js";
export {
  VirtioRngDriver,
  type VirtioRngDriverAction,
  type VirtioRngDriverErrorCode,
  type VirtioRngDriverEvent,
  type VirtioRngDriverOptions,
} from "./virtio-rng/driver.js";
export {
  DEFAULT_QUALITY,
  EARLY_READ_BYTES,
  earlyCreditBits,
  effectiveQuality,
  fillCredit,
  HWRNG_EMPTY_READ_SLEEP_MS,
  rngBufferSize,
  SMP_CACHE_BYTES,
} from "./virtio-rng/hwrng.js";
export * from "./vmclock/abi.js";
export { VmClockDevice } from "./vmclock/device.js";
export {
  type GenerationCheck,
  GenerationCounterDriver,
  type GenerationCounterDriverOptions,
} from "./vmclock/driver.js";
export {
  ACPI_NOTIFY_VMGENID,
  type AcpiNotify,
  VMGENID_SIZE,
  VmGenIdDevice,
} from "./vmgenid/device.js";
export { NEW_VMGENID_UEVENT, VmGenIdDriver, type VmGenIdNotifyResult } from "./vmgenid/driver.js";
export { X86ArchRandom } from "./x86/arch-random.js";
export {
  type CcRandomInitResult,
  ccRandomInit,
  RDRAND_DEFECTIVE,
} from "./x86/cc-random-init.js";
export {
  RDRAND_RETRY_LOOPS,
  rdrandLong,
  rdseedLong,
  X86Cpu,
  type X86CpuOptions,
} from "./x86/cpu.js";
export {
  type InitRdrandResult,
  type KernelLogLine,
  RDRAND_DISABLED_MESSAGE,
  RDRAND_SELFTEST_MIN_CHANGE,
  RDRAND_SELFTEST_SAMPLES,
  x86InitRdrand,
} from "./x86/init-rdrand.js";
export {
  AMD_STUCK_VALUE,
  type RngInstructionMode,
  type RngInstructionResult,
  RngInstructionUnit,
} from "./x86/rng-instruction.js";
