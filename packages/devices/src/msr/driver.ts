import { longsToBytes } from "../bytes.js";
import { DeviceConfigError } from "../errors.js";
import type { EntropySink } from "../sink.js";
import {
  COMMONHV_FEATURE_RNG,
  COMMONHV_FEATURE_RNG_WRITES,
  COMMONHV_LEAF_BASE,
  COMMONHV_LEAF_FEATURES,
  COMMONHV_LEAF_LAST,
  COMMONHV_LEAF_RNG,
  COMMONHV_SIG_EBX,
  COMMONHV_SIG_ECX,
  COMMONHV_SIG_EDX,
  type CommonHvCpu,
  type CpuidRegs,
  type MsrAccess,
} from "./commonhv.js";

export interface CommonHvInfo {
  maxLeaf: number;
  rngPresent: boolean;
  acceptsWrites: boolean;
  /** MSR_COMMONHV_RNG as announced in 4F000003H.EAX (0 when the RNG is absent). */
  msrIndex: number;
}

/** One instruction the CommonHV driver needs a vCPU to execute. */
export type CommonHvRequest = { op: "cpuid"; leaf: number } | { op: "rdmsr"; index: number };

/** What executing a CommonHvRequest gave: CPUID registers, or the RDMSR outcome. */
export type CommonHvAnswer = CpuidRegs | MsrAccess;

/**
 * A vCPU whose CPUID/RDMSR/WRMSR are answered later, e.g. by a hypervisor in another process
 * (a real RDMSR is a synchronous VM exit; over a socket it becomes an awaited request).
 */
export interface AsyncCommonHvCpu {
  cpuid(leaf: number, subleaf?: number): Promise<CpuidRegs>;
  rdmsr(index: number): Promise<MsrAccess>;
  wrmsr(index: number, value: bigint): Promise<MsrAccess>;
}

type Steps<T> = Generator<CommonHvRequest, T, CommonHvAnswer>;

/**
 * The driver logic is written once as a generator of instructions, then run either against a
 * synchronous CommonHvCpu or an AsyncCommonHvCpu, so both see exactly the same sequence.
 */
function runSync<T>(steps: Steps<T>, cpu: Pick<CommonHvCpu, "cpuid" | "rdmsr">): T {
  let r = steps.next(undefined as unknown as CommonHvAnswer);
  while (!r.done) {
    const q = r.value;
    r = steps.next(q.op === "cpuid" ? cpu.cpuid(q.leaf) : cpu.rdmsr(q.index));
  }
  return r.value;
}

async function runAsync<T>(
  steps: Steps<T>,
  cpu: Pick<AsyncCommonHvCpu, "cpuid" | "rdmsr">,
): Promise<T> {
  let r = steps.next(undefined as unknown as CommonHvAnswer);
  while (!r.done) {
    const q = r.value;
    r = steps.next(q.op === "cpuid" ? await cpu.cpuid(q.leaf) : await cpu.rdmsr(q.index));
  }
  return r.value;
}

const NO_REGS: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };

function* probeSteps(): Steps<CommonHvInfo | null> {
  const r0 = (yield { op: "cpuid", leaf: COMMONHV_LEAF_BASE }) as CpuidRegs;
  if (r0.ebx !== COMMONHV_SIG_EBX || r0.ecx !== COMMONHV_SIG_ECX || r0.edx !== COMMONHV_SIG_EDX) {
    return null;
  }
  const maxLeaf = r0.eax >>> 0;
  if (maxLeaf < COMMONHV_LEAF_BASE || maxLeaf > COMMONHV_LEAF_LAST) return null;
  const features =
    (COMMONHV_LEAF_FEATURES <= maxLeaf
      ? ((yield { op: "cpuid", leaf: COMMONHV_LEAF_FEATURES }) as CpuidRegs)
      : NO_REGS
    ).eax >>> 0;
  const msrIndex =
    (COMMONHV_LEAF_RNG <= maxLeaf
      ? ((yield { op: "cpuid", leaf: COMMONHV_LEAF_RNG }) as CpuidRegs)
      : NO_REGS
    ).eax >>> 0;
  const rngPresent =
    (features & COMMONHV_FEATURE_RNG) !== 0 && maxLeaf >= COMMONHV_LEAF_RNG && msrIndex !== 0;
  return {
    maxLeaf,
    rngPresent,
    acceptsWrites: rngPresent && (features & COMMONHV_FEATURE_RNG_WRITES) !== 0,
    msrIndex: rngPresent ? msrIndex : 0,
  };
}

/**
 * Guest discovery: the signature at 4F000000H, max_commonhv_leaf in range, then the feature
 * bits. Leaves above max_commonhv_leaf are treated as zeros, as the spec requires, and an RNG
 * bit with max leaf < 4F000003H or an MSR index of 0 counts as no RNG.
 */
export function probeCommonHv(cpu: Pick<CommonHvCpu, "cpuid">): CommonHvInfo | null {
  return runSync(probeSteps(), { cpuid: (l) => cpu.cpuid(l), rdmsr: unreachableRdmsr });
}

/** probeCommonHv() against a vCPU whose CPUID is answered asynchronously. */
export function probeCommonHvAsync(
  cpu: Pick<AsyncCommonHvCpu, "cpuid">,
): Promise<CommonHvInfo | null> {
  return runAsync(probeSteps(), { cpuid: (l) => cpu.cpuid(l), rdmsr: unreachableRdmsr });
}

function unreachableRdmsr(): never {
  throw new DeviceConfigError("INTERNAL", "probe issued an RDMSR");
}

export interface RngMsrDriverOptions {
  cpu: CommonHvCpu;
  sink: EntropySink;
  /** Credit what the MSR returns (a `random.trust_msr`-style switch; default off). */
  trustMsr: boolean;
  /** Longs to read at boot (default 4 = 256 bits, enough for crng_init READY when trusted). */
  longs?: number;
}

export interface RngMsrSeedResult {
  info: CommonHvInfo | null;
  reads: number;
  /** Reads that returned 0: "no data", neither mixed nor credited. */
  zeros: number;
  /** Reads equal to an earlier one in this batch: mixed, never credited. */
  repeats: number;
  /** rdmsr faults on the announced index (the spec says it MUST NOT fault). */
  faults: number;
  mixedBytes: number;
  creditedBits: number;
}

/**
 * The guest driver for MSR_COMMONHV_RNG (no upstream Linux driver exists; this is the one the
 * lab evaluates). It reads `longs` values early in boot. The spec lets a hypervisor return 0
 * and asks guests not to trust the values blindly, so: zeros are "no data", repeats are not
 * credited, and anything is credited only with trustMsr (add_hwgenerator_randomness, 64 bits
 * per distinct nonzero long, no sleep); otherwise it is add_device_randomness.
 */
export class RngMsrDriver {
  private info: CommonHvInfo | null = null;
  private readonly longs: number;

  constructor(private readonly opts: RngMsrDriverOptions) {
    this.longs = opts.longs ?? 4;
    if (!Number.isInteger(this.longs) || this.longs < 0 || this.longs > 4096) {
      throw new DeviceConfigError("BAD_LONGS", `longs ${this.longs}`);
    }
  }

  seed(): RngMsrSeedResult {
    return runSync(this.seedSteps(), this.opts.cpu);
  }

  private *seedSteps(): Steps<RngMsrSeedResult> {
    this.info = yield* probeSteps();
    return yield* readSeedSteps(this.info, this.longs, this.opts.trustMsr, this.opts.sink);
  }

  /** Offer 64 bits to the host (wrmsr) when it accepts guest input; false when it does not. */
  offer(value: bigint): boolean {
    const info = this.info ?? probeCommonHv(this.opts.cpu);
    if (!info?.acceptsWrites) return false;
    return this.opts.cpu.wrmsr(info.msrIndex, value).kind === "ok";
  }
}

function* readSeedSteps(
  info: CommonHvInfo | null,
  longs: number,
  trustMsr: boolean,
  sink: EntropySink,
): Steps<RngMsrSeedResult> {
  const res: RngMsrSeedResult = {
    info,
    reads: 0,
    zeros: 0,
    repeats: 0,
    faults: 0,
    mixedBytes: 0,
    creditedBits: 0,
  };
  if (!info?.rngPresent) return res;
  const seen = new Set<bigint>();
  const values: bigint[] = [];
  let distinct = 0;
  for (let i = 0; i < longs; i++) {
    const r = (yield { op: "rdmsr", index: info.msrIndex }) as MsrAccess;
    res.reads += 1;
    if (r.kind === "gp") {
      res.faults += 1;
      break;
    }
    if (r.value === 0n) {
      res.zeros += 1;
      continue;
    }
    if (seen.has(r.value)) res.repeats += 1;
    else distinct += 1;
    seen.add(r.value);
    values.push(r.value);
  }
  if (values.length === 0) return res;
  const buf = longsToBytes(values);
  res.mixedBytes = buf.length;
  if (trustMsr) {
    res.creditedBits = distinct * 64;
    sink.addHwgeneratorRandomness(buf, res.creditedBits, false);
  } else {
    sink.addDeviceRandomness(buf);
  }
  buf.fill(0);
  return res;
}

export interface AsyncRngMsrDriverOptions extends Omit<RngMsrDriverOptions, "cpu"> {
  cpu: AsyncCommonHvCpu;
}

/**
 * RngMsrDriver for a vCPU whose CPUID/RDMSR/WRMSR are answered asynchronously: the same
 * instruction sequence, the same crediting rules, awaited one instruction at a time.
 */
export class AsyncRngMsrDriver {
  private info: CommonHvInfo | null = null;
  private readonly longs: number;

  constructor(private readonly opts: AsyncRngMsrDriverOptions) {
    this.longs = opts.longs ?? 4;
    if (!Number.isInteger(this.longs) || this.longs < 0 || this.longs > 4096) {
      throw new DeviceConfigError("BAD_LONGS", `longs ${this.longs}`);
    }
  }

  async seed(): Promise<RngMsrSeedResult> {
    this.info = await probeCommonHvAsync(this.opts.cpu);
    return runAsync(
      readSeedSteps(this.info, this.longs, this.opts.trustMsr, this.opts.sink),
      this.opts.cpu,
    );
  }

  /** Offer 64 bits to the host (wrmsr) when it accepts guest input; false when it does not. */
  async offer(value: bigint): Promise<boolean> {
    const info = this.info ?? (await probeCommonHvAsync(this.opts.cpu));
    if (!info?.acceptsWrites) return false;
    return (await this.opts.cpu.wrmsr(info.msrIndex, value)).kind === "ok";
  }
}
