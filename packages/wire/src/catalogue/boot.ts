import { type Static, Type } from "@sinclair/typebox";
import { Bytes, Enum, Obj, ReqId, Tag, U32, U64 } from "./common.js";

/** `struct boot_params`, the x86 "zero page", is exactly one 4 KiB page (bootparam.h). */
export const BOOT_PARAMS_SIZE = 4096;
/** `struct setup_data { u64 next; u32 type; u32 len; u8 data[]; }` header size (bootparam.h). */
export const SETUP_DATA_HEADER_SIZE = 16;
/** Cap on one setup_data node carried on the wire (a 32-byte RNG seed needs 48). */
export const SETUP_DATA_MAX = 65536;

/**
 * One node of the setup_data list as the loader placed it in guest memory: `gpa` is its
 * guest-physical address, `data` its raw bytes (16-byte header, then payload; little-endian).
 * boot_params.hdr.setup_data (offset 0x250) holds the first node's gpa and each header's `next`
 * the following one (arch/x86/include/uapi/asm/bootparam.h).
 */
export const SetupDataNode = Obj({
  gpa: U64,
  data: Bytes(SETUP_DATA_MAX, SETUP_DATA_HEADER_SIZE),
});
export type SetupDataNode = Static<typeof SetupDataNode>;

/**
 * How the emulated RDRAND behaves: ok; absent (CPUID.01H:ECX.RDRAND[bit 30] clear); fail (CF=0
 * always); stuck (CF=1 with a constant value, like the AMD 0xFFFFFFFF bug); flaky (CF=0 with
 * probability `failProbability` per attempt).
 */
export const RdrandConfig = Obj({
  mode: Enum(["ok", "absent", "fail", "stuck", "flaky"]),
  failProbability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
});
export type RdrandConfig = Static<typeof RdrandConfig>;

export const CpuConfig = Obj({
  cpus: Type.Integer({ minimum: 1, maximum: 256 }),
  rdrand: RdrandConfig,
  /** Confidential guest: cc_random_init() needs 256 bits of RDRAND or panics. */
  coco: Type.Boolean(),
  /** random.trust_cpu= (credit RDRAND at random_init_early). */
  trustCpu: Type.Boolean(),
  /** random.trust_bootloader= (credit setup_data seeds). */
  trustBootloader: Type.Boolean(),
  /** Whether the guest credits the CommonHV RNG MSR (no Linux parameter exists yet). */
  trustMsr: Type.Boolean(),
});
export type CpuConfig = Static<typeof CpuConfig>;

/** Split virtqueue sizes are powers of two up to 32768 (virtio 1.2, §2.7). */
export const QueueSize = Type.Union(Array.from({ length: 16 }, (_, i) => Type.Literal(1 << i)));

/** A Firecracker-style token bucket (size tokens, refilled over refillTimeMs). */
export const TokenBucket = Obj({
  size: U64,
  oneTimeBurst: Type.Optional(U64),
  refillTimeMs: Type.Integer({ minimum: 1, maximum: 0xffff_ffff }),
});
export type TokenBucket = Static<typeof TokenBucket>;

export const DeviceConfig = Obj({
  virtioRng: Obj({
    present: Type.Boolean(),
    /** QEMU uses 8, Firecracker 256. */
    queueSize: QueueSize,
    /** hw_random quality the guest uses for this device (1024 in 6.x, 1000 up to 5.17). */
    quality: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    rateLimit: Type.Optional(
      Obj({ bytes: Type.Optional(TokenBucket), ops: Type.Optional(TokenBucket) }),
    ),
  }),
  /** CommonHV RNG MSR: advertised through CPUID 0x4F000002/3, `index` is the MSR number. */
  msr: Obj({ present: Type.Boolean(), index: U32, writable: Type.Boolean() }),
  /** off; notify = ACPI vmgenid with Notify(0x80); counter = also a polled generation counter. */
  vmgenid: Obj({
    mode: Enum(["off", "notify", "counter"]),
    /** mode counter: the VMClock page (struct vmclock_abi) the guest maps at boot. */
    vmclockPage: Type.Optional(Bytes(4096, 112)),
  }),
});
export type DeviceConfig = Static<typeof DeviceConfig>;

/**
 * A program the guest runs in its userspace after boot, and resumes after a restore or clone
 * (apps/guest/src/userspace), with every setting decided by the cluster file.
 */
export const UserspaceProgram = Type.Union([
  Obj({
    program: Tag("wireguard"),
    sessions: Type.Integer({ minimum: 1, maximum: 64 }),
    packetEveryMs: Type.Number({ minimum: 10, maximum: 3_600_000 }),
  }),
  Obj({
    program: Tag("getrandom-load"),
    len: Type.Integer({ minimum: 1, maximum: 1024 }),
    everyMs: Type.Number({ minimum: 1, maximum: 3_600_000 }),
    flags: Type.Integer({ minimum: 0, maximum: 7 }),
  }),
]);
export type UserspaceProgram = Static<typeof UserspaceProgram>;

/**
 * hypervisor → guest, the first request after the handshake: everything the loader and the
 * platform hand to a booting kernel. The guest answers `ok` once it accepted the config (boot
 * progress then arrives as `event`s), or `error` (E_INVALID) if it cannot boot with it.
 */
export const BootParams = Obj({
  t: Tag("boot.params"),
  id: ReqId,
  bootParams: Bytes(BOOT_PARAMS_SIZE, BOOT_PARAMS_SIZE),
  setupData: Type.Array(SetupDataNode, { maxItems: 32 }),
  cpu: CpuConfig,
  devices: DeviceConfig,
  /** Virtual milliseconds per real millisecond. */
  clockRate: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
  /** Interrupts per virtual second feeding add_interrupt_randomness(). */
  irqRate: Type.Number({ minimum: 0, maximum: 1_000_000 }),
  /** Userspace programs to start once booted (absent: none). */
  userspace: Type.Optional(Type.Array(UserspaceProgram, { maxItems: 16 })),
});
export type BootParams = Static<typeof BootParams>;
