import { defineKind, NoParams } from "./define.js";

const boot = { layer: "boot", owner: "hypervisor", roles: ["guest"] } as const;

/** Faults of the setup_data SETUP_RNG_SEED the loader hands over at the target's next boot. */
export const BOOT_KINDS = {
  "seed.absent": defineKind({
    ...boot,
    params: NoParams,
    description: "no SETUP_RNG_SEED at the next boot",
    counterpart: "a loader without seed support (firmware boot, older QEMU and most other VMMs)",
  }),
  "seed.zero": defineKind({
    ...boot,
    params: NoParams,
    description: "a SETUP_RNG_SEED of 32 zero bytes at the next boot (still credited)",
    counterpart: "a broken loader; trust_bootloader credits whatever it hands over",
  }),
  "seed.replayed": defineKind({
    ...boot,
    params: NoParams,
    description: "the seed handed to the target's previous boot, again",
    counterpart: "a reused seed file or a booted snapshot: two boots start from one credited seed",
  }),
} as const;
