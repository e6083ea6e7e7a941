import { Type } from "@sinclair/typebox";
import { MAX_DURATION_MS } from "../duration.js";
import { defineKind, NoParams, Params, Probability } from "./define.js";

const cpu = { layer: "cpu", owner: "guest", roles: ["guest"] } as const;

/** Faults of the guest's own CPU and clock, applied by the guest process. */
export const CPU_KINDS = {
  "rdrand.absent": defineKind({
    ...cpu,
    params: NoParams,
    description: "the CPU has no RDRAND/RDSEED (CPUID bits clear)",
    counterpart: "an old or masked CPU model (-cpu without rdrand); CoCo guests must panic",
  }),
  "rdrand.fail": defineKind({
    ...cpu,
    params: NoParams,
    description: "RDRAND always returns CF=0 (10 retries per long all fail)",
    counterpart: "an exhausted or broken DRNG; x86_init_rdrand disables it",
  }),
  "rdrand.stuck": defineKind({
    ...cpu,
    params: NoParams,
    description: "RDRAND returns CF=1 with the same value every time (all ones)",
    counterpart:
      "the AMD RDRAND erratum (0xFFFFFFFF after resume); only the boot self-test sees it",
  }),
  "rdrand.flaky": defineKind({
    ...cpu,
    params: Params({ failProbability: Probability(0.5) }),
    description: "each RDRAND fails (CF=0) with failProbability, drawn from the run's seed",
    counterpart: "a DRNG under contention (RDRAND can transiently underflow)",
  }),
  "clock.skew": defineKind({
    ...cpu,
    params: Params({
      rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
      offsetMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_DURATION_MS })),
    }),
    description:
      "the guest's virtual clock runs at `rate` × its speed and/or jumps forward by offsetMs",
    counterpart: "steal time, a paused vCPU, TSC drift; moves reseed intervals and deadlines",
    refine: (p) =>
      p.rate === undefined && p.offsetMs === undefined
        ? "give rate (a multiplier in (0, 1000]) or offsetMs (a forward jump in (0, 86400000] ms), or both"
        : undefined,
  }),
} as const;
