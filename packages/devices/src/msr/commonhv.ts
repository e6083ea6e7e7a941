/**
 * CommonHV (Andy Lutomirski's cross-hypervisor proposal, draft 2, github.com/amluto/CommonHV
 * commonhv.md). CPUID leaves in the 0x4F000000 range Intel reserves for software:
 *   4F000000H: EAX = max_commonhv_leaf; EBX, ECX, EDX = "Comm" "onHV" "Intf"
 *              (0x6D6D6F43, 0x56486E6F, 0x66746E49: little-endian ASCII, in that register order,
 *              the same EBX-ECX-EDX order as the 0x40000000 hypervisor signatures)
 *   4F000001H: interface enumeration; EAX = number of tuples (we list none: all zeros)
 *   4F000002H: EAX bit 0 = RNG available, bit 1 = RNG accepts guest input
 *   4F000003H: EAX = MSR index of MSR_COMMONHV_RNG
 * rdmsr(MSR_COMMONHV_RNG) MUST NOT fault and MAY return 0; without bit 1, wrmsr "has
 * unspecified behavior. It may result in #GP."
 */
export const COMMONHV_LEAF_BASE = 0x4f000000;
export const COMMONHV_LEAF_INTERFACES = 0x4f000001;
export const COMMONHV_LEAF_FEATURES = 0x4f000002;
export const COMMONHV_LEAF_RNG = 0x4f000003;
export const COMMONHV_LEAF_LAST = 0x4fffffff;
/** Highest leaf this implementation provides (the RNG needs at least 0x4F000003). */
export const COMMONHV_MAX_LEAF = COMMONHV_LEAF_RNG;

export const COMMONHV_SIGNATURE = "CommonHVIntf";
export const COMMONHV_SIG_EBX = 0x6d6d6f43; // "Comm"
export const COMMONHV_SIG_ECX = 0x56486e6f; // "onHV"
export const COMMONHV_SIG_EDX = 0x66746e49; // "Intf"

export const COMMONHV_FEATURE_RNG = 1 << 0;
export const COMMONHV_FEATURE_RNG_WRITES = 1 << 1;

/**
 * Our MSR_COMMONHV_RNG. The proposal deliberately fixes no index. The Intel SDM (vol. 4)
 * reserves only MSRs 0x40000000-0x400000FF for software ("All existing and future processors
 * will not implement any features using any MSR in this range"); 0x4F00xxxx is a reserved
 * CPUID range, not a documented MSR range. Inside 0x400000xx we avoid the Hyper-V TLFS
 * synthetic MSRs that KVM/QEMU may also expose (0x40000000-0x40000003 identity/hypercall,
 * 0x40000010 and 0x40000020-0x40000023 runtime/time, 0x40000070-0x40000073 APIC assist,
 * 0x40000080-0x4000009F SynIC, 0x400000B0-0x400000B7 synthetic timers, 0x400000F1-0x400000FF
 * synthetic debugger) and take 0x400000C0. It is announced in leaf 4F000003H, so a guest
 * never hard-codes it; the hypervisor may choose another index.
 */
export const DEFAULT_MSR_COMMONHV_RNG = 0x400000c0;

export interface CpuidRegs {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/** Result of rdmsr/wrmsr: a value, or a general-protection fault injected into the guest. */
export type MsrAccess = { kind: "ok"; value: bigint } | { kind: "gp"; index: number };

/** What a guest vCPU can do toward the CommonHV interface. */
export interface CommonHvCpu {
  cpuid(leaf: number, subleaf?: number): CpuidRegs;
  rdmsr(index: number): MsrAccess;
  wrmsr(index: number, value: bigint): MsrAccess;
}

export const ZERO_REGS: Readonly<CpuidRegs> = Object.freeze({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
