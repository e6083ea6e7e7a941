import { type Static, Type } from "@sinclair/typebox";
import { Bytes, Millis, NodeId, Obj, ReqId, Tag } from "./common.js";

/** RNG_SEED_LENGTH in arch/x86/kernel/kexec-bzimage64.c: kexec hands on 32 bytes. */
export const KEXEC_SEED_LENGTH = 32;

/**
 * client → host → hypervisor: kexec guest `vm` into a new kernel (kexec_file_load + reboot).
 * The running kernel hands the next one a seed from its own CRNG (setup_rng_seed()), the
 * hypervisor boots the next kernel with it in setup_data. Reply: `vm.state`.
 */
export const VmKexec = Obj({ t: Tag("vm.kexec"), id: ReqId, vm: NodeId });
export type VmKexec = Static<typeof VmKexec>;

/** hypervisor → guest: load the next kernel; answer with the seed you hand it. */
export const GuestKexec = Obj({ t: Tag("guest.kexec"), id: ReqId });
export type GuestKexec = Static<typeof GuestKexec>;

/**
 * guest → hypervisor, reply to `guest.kexec`: `seed` is absent when rng_is_initialized() was
 * false (setup_rng_seed() then adds no SETUP_RNG_SEED node). `vtimeMs`: the old kernel's time.
 */
export const GuestKexecSeed = Obj({
  t: Tag("guest.kexec.seed"),
  re: ReqId,
  seed: Type.Optional(Bytes(KEXEC_SEED_LENGTH, KEXEC_SEED_LENGTH)),
  vtimeMs: Millis,
});
export type GuestKexecSeed = Static<typeof GuestKexecSeed>;
