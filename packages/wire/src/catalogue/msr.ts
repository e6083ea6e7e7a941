import type { Static } from "@sinclair/typebox";
import { NodeId, Obj, ReqId, Tag, U32, U64 } from "./common.js";

/*
 * The guest's CPUID and MSR instructions that the hypervisor must emulate (the CommonHV RNG
 * interface: CPUID 0x4F000000..3 and an RNG MSR). Requests from guest → hypervisor.
 */

/** guest → hypervisor: CPUID with EAX=leaf, ECX=subleaf. Reply: `msr.cpuid.regs`. */
export const MsrCpuid = Obj({ t: Tag("msr.cpuid"), id: ReqId, leaf: U32, subleaf: U32 });
export type MsrCpuid = Static<typeof MsrCpuid>;

/** hypervisor → guest: the four result registers. */
export const MsrCpuidRegs = Obj({
  t: Tag("msr.cpuid.regs"),
  re: ReqId,
  eax: U32,
  ebx: U32,
  ecx: U32,
  edx: U32,
});
export type MsrCpuidRegs = Static<typeof MsrCpuidRegs>;

/** guest → hypervisor: RDMSR of ECX=index. Reply: `msr.value`, or `msr.gp` for #GP(0). */
export const MsrRdmsr = Obj({ t: Tag("msr.rdmsr"), id: ReqId, index: U32 });
export type MsrRdmsr = Static<typeof MsrRdmsr>;

/** hypervisor → guest: EDX:EAX of a successful RDMSR. */
export const MsrValue = Obj({ t: Tag("msr.value"), re: ReqId, index: U32, value: U64 });
export type MsrValue = Static<typeof MsrValue>;

/** guest → hypervisor: WRMSR of EDX:EAX=value to index. Reply: `msr.written` or `msr.gp`. */
export const MsrWrmsr = Obj({ t: Tag("msr.wrmsr"), id: ReqId, index: U32, value: U64 });
export type MsrWrmsr = Static<typeof MsrWrmsr>;

/** hypervisor → guest: the WRMSR retired. */
export const MsrWritten = Obj({ t: Tag("msr.written"), re: ReqId, index: U32 });
export type MsrWritten = Static<typeof MsrWritten>;

/** hypervisor → guest: the RDMSR/WRMSR raised #GP(0) (unknown index, or a read-only MSR). */
export const MsrGp = Obj({ t: Tag("msr.gp"), re: ReqId, index: U32 });
export type MsrGp = Static<typeof MsrGp>;

/**
 * client/host → hypervisor → guest: userspace RDMSR in a guest, as msr-tools' `rdmsr` does through
 * /dev/cpu/N/msr. The guest executes it (a VM exit to its hypervisor) and relays the answer:
 * `msr.value`, or `msr.gp` when the MSR faults.
 */
export const CpuRdmsr = Obj({ t: Tag("cpu.rdmsr"), id: ReqId, vm: NodeId, index: U32 });
export type CpuRdmsr = Static<typeof CpuRdmsr>;

/** Userspace WRMSR in a guest (msr-tools' `wrmsr`): answered `msr.written` or `msr.gp`. */
export const CpuWrmsr = Obj({ t: Tag("cpu.wrmsr"), id: ReqId, vm: NodeId, index: U32, value: U64 });
export type CpuWrmsr = Static<typeof CpuWrmsr>;
