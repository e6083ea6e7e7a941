import { BootImageError } from "../errors.js";
import { RNG_SEED_LENGTH } from "./bootparam.js";

/**
 * What a loader does about the boot seed. `present` is the healthy case (QEMU fills 32 fresh
 * bytes per boot); the others are the failure modes a lab wants to inject: no seed at all, a
 * seed of zeros (a broken loader still credited by trust_bootloader), and a replayed seed (a
 * snapshot or a seed file reused, so two boots start from identical credited input).
 */
export type SeedPolicy =
  | { kind: "present" }
  | { kind: "absent" }
  | { kind: "zero" }
  | { kind: "replayed"; seed: Uint8Array };

/** The seed bytes a loader following `policy` writes, or undefined for no SETUP_RNG_SEED. */
export function seedForPolicy(
  policy: SeedPolicy,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array | undefined {
  switch (policy.kind) {
    case "present": {
      const s = randomBytes(RNG_SEED_LENGTH);
      if (s.length !== RNG_SEED_LENGTH) {
        throw new BootImageError("BAD_SOURCE", `random source returned ${s.length} bytes`);
      }
      return s;
    }
    case "absent":
      return undefined;
    case "zero":
      return new Uint8Array(RNG_SEED_LENGTH);
    case "replayed":
      if (policy.seed.length === 0) {
        throw new BootImageError("BAD_SEED_LENGTH", "replayed seed is empty");
      }
      return policy.seed.slice();
  }
}
