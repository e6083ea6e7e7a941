import { type Static, Type } from "@sinclair/typebox";
import { Bytes, Obj, ReqId, Tag } from "./common.js";

/** Largest single draw of host entropy: a DRBG reseed needs 32 bytes; 4 KiB leaves headroom. */
export const ENTROPY_MAX_DRAW = 4096;

/**
 * hypervisor → host: fresh bytes from the host's CSPRNG to seed or reseed the hypervisor's own
 * ChaCha20 DRBG (which then serves virtio-rng, the RNG MSR and boot seeds without waiting on
 * the host). Answered with `entropy.data`.
 */
export const EntropyGet = Obj({
  t: Tag("entropy.get"),
  id: ReqId,
  len: Type.Integer({ minimum: 1, maximum: ENTROPY_MAX_DRAW }),
});
export type EntropyGet = Static<typeof EntropyGet>;

/** host → hypervisor: exactly `len` bytes from the OS CSPRNG. */
export const EntropyData = Obj({
  t: Tag("entropy.data"),
  re: ReqId,
  data: Bytes(ENTROPY_MAX_DRAW, 1),
});
export type EntropyData = Static<typeof EntropyData>;
