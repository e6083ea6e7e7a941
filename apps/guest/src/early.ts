import type { PendingUpgrade } from "@vmrng/wire/upgrade";

/** What dial.ts established before the rest of the guest (main.ts) was loaded. */
export interface EarlyStart {
  id: string;
  url: string;
  token: string;
  /** The first upgrade to the hypervisor, already on its way (ws:// URLs). */
  firstUpgrade?: PendingUpgrade;
}

/**
 * Held on globalThis, not in this module: in the bundled guest, dial.ts and main.ts are two
 * bundles, each with its own copy of this module.
 */
const EARLY = Symbol.for("vmrng.guest.earlyStart");

export function setEarlyStart(e: EarlyStart): void {
  (globalThis as { [EARLY]?: EarlyStart })[EARLY] = e;
}

/** What dial.ts set up, if it ran before main.ts (undefined when main.ts is the entry point). */
export function earlyStart(): EarlyStart | undefined {
  return (globalThis as { [EARLY]?: EarlyStart })[EARLY];
}
