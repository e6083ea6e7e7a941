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
} from "./commonhv.js";

export interface CommonHvInfo {
  maxLeaf: number;
  rngPresent: boolean;
  acceptsWrites: boolean;
  /** MSR_COMMONHV_RNG as announced in 4F000003H.EAX (0 when the RNG is absent). */
  msrIndex: number;
}

/**
 * Guest discovery: the signature at 4F000000H, max_commonhv_leaf in range, then the feature
 * bits. Leaves above max_commonhv_leaf are treated as zeros, as the spec requires, and an RNG
 * bit with max leaf < 4F000003H or an MSR index of 0 counts as no RNG.
 */
export function probeCommonHv(cpu: Pick<CommonHvCpu, "cpuid">): CommonHvInfo | null {
  const r0 = cpu.cpuid(COMMONHV_LEAF_BASE);
  if (r0.ebx !== COMMONHV_SIG_EBX || r0.ecx !== COMMONHV_SIG_ECX || r0.edx !== COMMONHV_SIG_EDX) {
    return null;
  }
  const maxLeaf = r0.eax >>> 0;
  if (maxLeaf < COMMONHV_LEAF_BASE || maxLeaf > COMMONHV_LEAF_LAST) return null;
  const leaf = (l: number) => (l <= maxLeaf ? cpu.cpuid(l) : { eax: 0, ebx: 0, ecx: 0, edx: 0 });
  const features = leaf(COMMONHV_LEAF_FEATURES).eax >>> 0;
  const msrIndex = leaf(COMMONHV_LEAF_RNG).eax >>> 0;
  const rngPresent =
    (features & COMMONHV_FEATURE_RNG) !== 0 && maxLeaf >= COMMONHV_LEAF_RNG && msrIndex !== 0;
  return {
    maxLeaf,
    rngPresent,
    acceptsWrites: rngPresent && (features & COMMONHV_FEATURE_RNG_WRITES) !== 0,
    msrIndex: rngPresent ? msrIndex : 0,
  };
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
    this.info = probeCommonHv(this.opts.cpu);
    const res: RngMsrSeedResult = {
      info: this.info,
      reads: 0,
      zeros: 0,
      repeats: 0,
      faults: 0,
      mixedBytes: 0,
      creditedBits: 0,
    };
    if (!this.info?.rngPresent) return res;
    const seen = new Set<bigint>();
    const values: bigint[] = [];
    let distinct = 0;
    for (let i = 0; i < this.longs; i++) {
      const r = this.opts.cpu.rdmsr(this.info.msrIndex);
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
    if (this.opts.trustMsr) {
      res.creditedBits = distinct * 64;
      this.opts.sink.addHwgeneratorRandomness(buf, res.creditedBits, false);
    } else {
      this.opts.sink.addDeviceRandomness(buf);
    }
    buf.fill(0);
    return res;
  }

  /** Offer 64 bits to the host (wrmsr) when it accepts guest input; false when it does not. */
  offer(value: bigint): boolean {
    const info = this.info ?? probeCommonHv(this.opts.cpu);
    if (!info?.acceptsWrites) return false;
    return this.opts.cpu.wrmsr(info.msrIndex, value).kind === "ok";
  }
}
