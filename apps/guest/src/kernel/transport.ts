import type { CpuidRegs, MsrAccess } from "@vmrng/devices";

/** A virtio-rng buffer the driver makes available: descriptor head `id`, `len` writable bytes. */
export interface VirtioDescriptor {
  id: number;
  len: number;
}

/**
 * Everything the guest kernel asks of its hypervisor. The kernel never sees sockets: the guest
 * process implements this over the wire Link, tests implement it over in-memory device models.
 *
 * Answers that are not a return value come back through the kernel's own methods:
 * GuestKernel.onVirtioUsed(), onAcpiNotify(), onVmclockPage().
 */
export interface GuestTransport {
  /**
   * virtqueue_add_inbuf() + virtqueue_kick(): fire-and-forget. The device answers whenever it
   * has entropy (maybe never, maybe late, maybe malformed) via GuestKernel.onVirtioUsed(). It may
   * even answer synchronously from inside this call: the kernel queues re-entrant deliveries.
   */
  virtioPost(desc: VirtioDescriptor): void;
  /** CPUID(leaf, subleaf), a VM exit answered by the hypervisor. */
  cpuid(leaf: number, subleaf: number): Promise<CpuidRegs>;
  /** RDMSR: a value, or #GP. */
  rdmsr(index: number): Promise<MsrAccess>;
  /** WRMSR: ok, or #GP. */
  wrmsr(index: number, value: bigint): Promise<MsrAccess>;
  /** Read the 16 bytes of the vmgenid device's memory (the ACPI ADDR buffer). */
  readVmgenid(): Promise<Uint8Array>;
}

/**
 * The scheduler contract, for the process that drives a GuestKernel:
 * - time is the injected Clock (virtual ms; the process scales wall time by clockRate);
 * - after every call into the kernel, `kernel.nextWakeAt()` is the virtual time at which it
 *   next needs `kernel.poll()` (a kernel timer, an interrupt, the hwrng kthread waking), or
 *   null when nothing is pending;
 * - `onWakeChanged` (an option) is called whenever that time changes, so the process can keep
 *   exactly one wall-clock timer armed: setTimeout(poll, (at - clock.now()) / clockRate).
 * Calling poll() early or late is harmless: the kernel runs everything that fell due, each at
 * its own virtual time, so the outcome does not depend on timer precision. With interrupts at
 * 1000/s the next wake-up is always <= 1 ms away; a process may therefore clamp its timer to a
 * coarser cadence (say 10 ms of wall time) at no cost in fidelity, only in latency.
 */
export type WakeListener = (atMs: number | null) => void;
