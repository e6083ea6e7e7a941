import { DEFAULT_GUEST, type GuestSpec } from "@vmrng/cluster";
import { ManualClock } from "@vmrng/crng";
import {
  type ByteSource,
  buildBootImage,
  ChaChaDrbg,
  type CommonHvCpu,
  type CpuidRegs,
  type MsrAccess,
  RngMsrHost,
  VirtioRngDevice,
  VmClockDevice,
  VmGenIdDevice,
} from "@vmrng/devices";
import {
  type BootImageInput,
  bootImageInput,
  GuestKernel,
  type GuestKernelOptions,
  type GuestTransport,
  type VirtioDescriptor,
} from "../src/kernel/index.js";

/** A deterministic byte source from a label (a ChaCha DRBG keyed by the padded label). */
export function seeded(label: string): (n: number) => Uint8Array {
  const key = new Uint8Array(32);
  key.set(new TextEncoder().encode(label).subarray(0, 32));
  const d = new ChaChaDrbg(key);
  return (n) => d.generate(n);
}

/** A ByteSource that remembers everything it handed out. */
export class RecordingSource implements ByteSource {
  readonly chunks: Uint8Array[] = [];
  constructor(private readonly inner: (n: number) => Uint8Array) {}
  generate(n: number): Uint8Array {
    const b = this.inner(n);
    this.chunks.push(b.slice());
    return b;
  }
}

export function spec(over: Partial<Omit<GuestSpec, "id">> = {}, id = "g1"): GuestSpec {
  return { ...structuredClone(DEFAULT_GUEST), id, hypervisor: "hv1", expect: "ready", ...over };
}

export interface HypervisorOptions {
  /** The virtio-rng device's entropy (default: a per-guest DRBG). */
  virtioSource?: ByteSource;
  /** Answer virtio buffers synchronously from inside virtioPost (default true). */
  answerVirtio?: boolean;
  /** Replace the CommonHV vCPU (e.g. a hostile constant MSR). */
  msrCpu?: CommonHvCpu;
  /** No CommonHV interface at all (CPUID leaves read zero). */
  noMsr?: boolean;
}

const ZERO: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };

/**
 * A tiny in-process hypervisor for one guest, built from the REAL devices device sides:
 * VirtioRngDevice, RngMsrHost, VmGenIdDevice, VmClockDevice. Its transport answers the way the
 * hypervisor process would, only without sockets.
 */
export class TestHypervisor {
  readonly clock: ManualClock;
  readonly virtio: VirtioRngDevice;
  readonly vmgenid: VmGenIdDevice;
  readonly vmclock: VmClockDevice;
  readonly msr: CommonHvCpu;
  kernel: GuestKernel | null = null;
  /** Descriptors posted and not answered (answerVirtio false). */
  readonly held: VirtioDescriptor[] = [];
  readonly calls: string[] = [];
  private answerVirtio: boolean;

  constructor(
    label: string,
    opts: HypervisorOptions = {},
    clock = new ManualClock(),
    queueSize = 8,
  ) {
    this.clock = clock;
    const host = seeded(`hv/${label}`);
    this.virtio = new VirtioRngDevice({
      clock,
      source: opts.virtioSource ?? new ChaChaDrbg(host(32)),
      flavor: "qemu",
      queueSize,
    });
    this.vmgenid = new VmGenIdDevice(host, clock);
    this.vmclock = new VmClockDevice(clock);
    this.msr = opts.noMsr
      ? {
          cpuid: () => ({ ...ZERO }),
          rdmsr: (index) => ({ kind: "gp", index }),
          wrmsr: (index) => ({ kind: "gp", index }),
        }
      : (opts.msrCpu ?? new RngMsrHost({ clock, randomBytes: host }).attach(label));
    this.answerVirtio = opts.answerVirtio ?? true;
  }

  transport(): GuestTransport {
    return {
      virtioPost: (desc) => {
        this.calls.push(`post ${desc.id}`);
        if (!this.answerVirtio) {
          this.held.push(desc);
          return;
        }
        this.virtio.post(desc);
        for (const u of this.virtio.kick()) this.kernel?.onVirtioUsed(u.id, u.bytes);
      },
      cpuid: async (leaf): Promise<CpuidRegs> => this.msr.cpuid(leaf),
      rdmsr: async (index): Promise<MsrAccess> => this.msr.rdmsr(index),
      wrmsr: async (index, value): Promise<MsrAccess> => this.msr.wrmsr(index, value),
      readVmgenid: async () => this.vmgenid.id,
    };
  }

  /** Answer the held descriptors through the real device. */
  release(): void {
    this.answerVirtio = true;
    for (const d of this.held.splice(0)) this.virtio.post(d);
    for (const u of this.virtio.kick()) this.kernel?.onVirtioUsed(u.id, u.bytes);
  }
}

export interface GuestSetup {
  kernel: GuestKernel;
  hv: TestHypervisor;
  clock: ManualClock;
  image: BootImageInput;
  seedAddr: bigint | null;
}

/** A guest wired to a TestHypervisor, not yet booted. */
export function makeGuest(
  s: GuestSpec,
  opts: {
    label?: string;
    seed?: Uint8Array;
    hv?: HypervisorOptions;
    randomBytes?: (n: number) => Uint8Array;
    kernel?: Partial<GuestKernelOptions>;
    clock?: ManualClock;
    commandLine?: string;
  } = {},
): GuestSetup {
  const label = opts.label ?? s.id;
  const hv = new TestHypervisor(label, opts.hv, opts.clock, s.virtioRng.queueSize);
  const seed = opts.seed ?? (s.seed === "present" ? seeded(`seed/${label}`)(32) : undefined);
  const built = buildBootImage(seed ? { seed } : {});
  const image = bootImageInput(built);
  const kernel = new GuestKernel({
    spec: s,
    clock: hv.clock,
    transport: hv.transport(),
    randomBytes: opts.randomBytes ?? seeded(`rdrand/${label}`),
    boot: {
      image,
      vmgenid: hv.vmgenid.id,
      vmclockPage: hv.vmclock.page(),
      ...(opts.commandLine !== undefined ? { commandLine: opts.commandLine } : {}),
    },
    ...opts.kernel,
  });
  hv.kernel = kernel;
  return { kernel, hv, clock: hv.clock, image, seedAddr: built.seedAddr };
}

/**
 * Move the clock to `until` in steps of `stepMs`, polling after each step and letting promise
 * continuations run (the kernel itself runs every timer at its own time within a step).
 */
export async function runUntil(
  k: GuestKernel,
  clock: ManualClock,
  until: number,
  stepMs = 10,
): Promise<void> {
  while (clock.now() < until) {
    clock.set(Math.min(until, clock.now() + stepMs));
    k.poll();
    await flush();
  }
  k.poll();
  await flush();
}

/** Let pending promise continuations run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
