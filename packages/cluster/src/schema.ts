import { type Static, Type } from "@sinclair/typebox";

/**
 * The cluster file, as users write it. Every field but ids is optional; `resolve.ts` fills the
 * rest from DEFAULT_GUEST and the `defaults` blocks. This schema is published as JSON Schema
 * (`vmrng schema`), so descriptions and defaults here are what editors show.
 */

const Id = Type.String({
  pattern: "^[a-z][a-z0-9-]{0,31}$",
  description: "lower-case letters, digits and '-', starting with a letter, at most 32 characters",
});

/** Firecracker's TokenBucket (src/vmm/src/rate_limiter): size, one_time_burst, refill_time. */
export const TokenBucketSchema = Type.Object(
  {
    size: Type.Integer({ minimum: 1, maximum: 2 ** 40, description: "bucket capacity (tokens)" }),
    oneTimeBurst: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2 ** 40, description: "extra tokens usable once" }),
    ),
    refillTimeMs: Type.Integer({
      minimum: 1,
      maximum: 3_600_000,
      description: "ms to refill the whole bucket from empty",
    }),
  },
  { additionalProperties: false },
);

export const RateLimitSchema = Type.Object(
  {
    ops: Type.Optional(TokenBucketSchema),
    bytes: Type.Optional(TokenBucketSchema),
  },
  { additionalProperties: false, description: "Firecracker-style limiter on requests and bytes" },
);

/**
 * The host's EGD server, for real VMs: QEMU's `-object rng-egd,chardev=…` speaks the Entropy
 * Gathering Daemon protocol to it over TCP (always 127.0.0.1) or a Unix socket.
 */
export const EgdSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ default: false })),
    port: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description: "TCP port on 127.0.0.1; 0 picks a free port (recorded in state.json)",
      }),
    ),
    socketPath: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          "also listen on this Unix socket (mode 0600); a relative path is taken from the run directory",
      }),
    ),
    rateLimit: Type.Optional(
      Type.Object(
        {
          ops: Type.Optional(TokenBucketSchema),
          bytes: Type.Optional(TokenBucketSchema),
        },
        {
          additionalProperties: false,
          description:
            "per-client Firecracker-style limiter: ops counts requests, bytes counts bytes served",
        },
      ),
    ),
    maxClients: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1024,
        default: 64,
        description: "connections beyond this are closed at once, with a log line",
      }),
    ),
  },
  { additionalProperties: false },
);

const RdrandMode = Type.Union(
  [
    Type.Literal("ok"),
    Type.Literal("absent"),
    Type.Literal("fail"),
    Type.Literal("stuck"),
    Type.Literal("flaky"),
  ],
  {
    description:
      "ok; absent (no CPUID bit); fail (CF=0); stuck (all ones, CF=1: the AMD bug); flaky",
  },
);

const SeedPolicy = Type.Union(
  [Type.Literal("present"), Type.Literal("absent"), Type.Literal("zero"), Type.Literal("replayed")],
  {
    description:
      "SETUP_RNG_SEED handed to the kernel: a fresh 32-byte seed, none, 32 zero bytes, or the same seed at every boot",
  },
);

const VmgenidMode = Type.Union(
  [Type.Literal("off"), Type.Literal("notify"), Type.Literal("counter")],
  {
    description:
      "off: no device; notify: ACPI vmgenid with a delayed Notify(0x80) (the real race window); counter: a generation counter polled before every output",
  },
);

/**
 * Programs the guest runs in its userspace once booted, and resumes after a restore or clone
 * (apps/guest/src/userspace): the lab's demos of what a VM fork does to real consumers.
 */
export const WireguardProgramSchema = Type.Object(
  {
    program: Type.Literal("wireguard"),
    sessions: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        default: 1,
        description: "peers, each with its own handshake and keypair",
      }),
    ),
    packetEveryMs: Type.Optional(
      Type.Number({
        minimum: 10,
        maximum: 3_600_000,
        default: 1000,
        description: "virtual ms between data packets to each peer (each use of its keypair)",
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "a WireGuard-style interface wg0: session keys from getrandom, rekey every REKEY_AFTER_TIME, keys dropped on a VM fork",
  },
);

export const GetrandomLoadProgramSchema = Type.Object(
  {
    program: Type.Literal("getrandom-load"),
    len: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1024, default: 32, description: "bytes per call" }),
    ),
    everyMs: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: 3_600_000,
        default: 1000,
        description: "virtual ms between calls",
      }),
    ),
    flags: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 7,
        default: 0,
        description: "getrandom flags: GRND_NONBLOCK 1, GRND_RANDOM 2, GRND_INSECURE 4",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "getrandom(len, flags) every everyMs, each result in the history",
  },
);

export const UserspaceProgramSchema = Type.Union([
  WireguardProgramSchema,
  GetrandomLoadProgramSchema,
]);

/** Every guest setting; all optional so it can serve as a guest, a defaults block or an override. */
const guestSettings = {
  cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, default: 2 })),
  coco: Type.Optional(
    Type.Boolean({
      default: false,
      description: "confidential guest: hypervisor input is untrusted, RDRAND is required",
    }),
  ),
  seed: Type.Optional(SeedPolicy),
  rdrand: Type.Optional(
    Type.Object(
      {
        mode: Type.Optional(RdrandMode),
        failProbability: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1,
            description: "per-attempt failure rate in flaky mode",
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  trust: Type.Optional(
    Type.Object(
      {
        cpu: Type.Optional(Type.Boolean({ description: "random.trust_cpu", default: true })),
        bootloader: Type.Optional(
          Type.Boolean({ description: "random.trust_bootloader", default: true }),
        ),
        msr: Type.Optional(
          Type.Boolean({ description: "credit the CommonHV RNG MSR", default: false }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  virtioRng: Type.Optional(
    Type.Object(
      {
        enabled: Type.Optional(Type.Boolean({ default: true })),
        queueSize: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 32768,
            default: 8,
            description: "8 like QEMU, 256 like Firecracker (a power of two)",
          }),
        ),
        quality: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 1024,
            default: 1024,
            description:
              "hw_random quality (bits credited per 1024 bits read): 1024 in 6.x (default_quality), 1000 for kernels up to 5.17 (virtio-rng's .quality)",
          }),
        ),
        rateLimit: Type.Optional(RateLimitSchema),
      },
      { additionalProperties: false },
    ),
  ),
  msr: Type.Optional(
    Type.Object(
      {
        enabled: Type.Optional(Type.Boolean({ default: true })),
        writes: Type.Optional(
          Type.Boolean({ default: true, description: "CPUID 0x4F000002 EAX bit1" }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  vmgenid: Type.Optional(
    Type.Object(
      {
        mode: Type.Optional(VmgenidMode),
        notifyDelayMs: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 60_000,
            default: 50,
            description: "wall ms between resume and the ACPI notify in notify mode",
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  interrupts: Type.Optional(
    Type.Object(
      {
        perSecond: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1_000_000,
            default: 1000,
            description: "interrupts per virtual second feeding add_interrupt_randomness",
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  clockRate: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: 1000,
      default: 1,
      description: "virtual seconds per wall second",
    }),
  ),
  userspace: Type.Optional(
    Type.Array(UserspaceProgramSchema, {
      maxItems: 16,
      default: [],
      description: "programs started after boot and resumed after a restore or clone",
    }),
  ),
  expect: Type.Optional(
    Type.Union([Type.Literal("ready"), Type.Literal("booted"), Type.Literal("panic")], {
      description:
        "boot target for `up --wait`: ready (crng init done), booted (the kernel runs, crng may still wait: a starved guest), panic; default: panic for a CoCo guest whose RDRAND is absent or failing, else ready",
    }),
  ),
};

export const GuestSettingsSchema = Type.Object(guestSettings, { additionalProperties: false });
export const GuestSchema = Type.Object(
  { id: Id, ...guestSettings },
  { additionalProperties: false },
);

export const HypervisorSchema = Type.Object(
  {
    id: Id,
    defaults: Type.Optional(GuestSettingsSchema),
    guests: Type.Array(GuestSchema, { minItems: 0, maxItems: 256 }),
  },
  { additionalProperties: false },
);

export const ClusterFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Optional(Type.Literal(1, { default: 1 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: "vmrng" })),
    defaults: Type.Optional(GuestSettingsSchema),
    host: Type.Optional(
      Type.Object(
        {
          egd: Type.Optional(EgdSchema),
        },
        { additionalProperties: false },
      ),
    ),
    hypervisors: Type.Array(HypervisorSchema, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false, title: "vmrng cluster file" },
);

export type ClusterFile = Static<typeof ClusterFileSchema>;
export type GuestSettings = Static<typeof GuestSettingsSchema>;
export type TokenBucketSpec = Static<typeof TokenBucketSchema>;
export type EgdSettings = Static<typeof EgdSchema>;
export type RdrandModeName = Static<typeof RdrandMode>;
export type SeedPolicyName = Static<typeof SeedPolicy>;
export type VmgenidModeName = Static<typeof VmgenidMode>;
export type UserspaceProgramSettings = Static<typeof UserspaceProgramSchema>;
