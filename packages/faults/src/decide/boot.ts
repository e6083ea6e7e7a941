import type { ValidFault } from "../spec.js";
import { attackerBytes } from "./attacker.js";

/** RNG_SEED_LENGTH: the 32-byte SETUP_RNG_SEED QEMU and kexec hand over. */
export const BOOT_SEED_LENGTH = 32;

/**
 * The seed policy for the target's next boot under the active faults, or null when none applies
 * (the loader's own policy stands). `replayed` carries the seed to hand over again; `attacker`
 * an attacker-known seed (malicious), which the loader writes like a replayed one.
 */
export type BootSeedOverride =
  | null
  | { kind: "absent" }
  | { kind: "zero" }
  | { kind: "replayed"; seed: Uint8Array }
  | { kind: "attacker"; seed: Uint8Array };

/**
 * Folds seed.absent / seed.zero / seed.replayed / malicious (the last armed wins) into the
 * override for one boot. `previousSeed` is the seed this guest got at its previous boot: with
 * none to replay, seed.replayed yields null (this boot gets a fresh seed, which the hypervisor
 * records and the next boot replays). `counter` numbers the attacker's seeds.
 */
export function bootSeedOverride(
  faults: readonly ValidFault[],
  previousSeed?: Uint8Array,
  counter = 0,
): BootSeedOverride {
  let out: BootSeedOverride = null;
  for (const f of faults) {
    switch (f.kind) {
      case "seed.absent":
        out = { kind: "absent" };
        break;
      case "seed.zero":
        out = { kind: "zero" };
        break;
      case "seed.replayed":
        out = previousSeed === undefined ? null : { kind: "replayed", seed: previousSeed.slice() };
        break;
      case "malicious":
        out = { kind: "attacker", seed: attackerBytes("seed", BOOT_SEED_LENGTH, counter) };
        break;
    }
  }
  return out;
}
