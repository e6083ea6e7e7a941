import type { CrngEvent, CrngInitState } from "@vmrng/crng";
import type { VirtioRngDriverEvent } from "@vmrng/devices";
import type { GuestAccounting } from "./accounting.js";
import type { KernelConsole } from "./console.js";
import type { ReadinessTracker } from "./readiness.js";

/**
 * random.c's events into the guest's log and history: printk lines ("random: crng init
 * done", the vmfork notice, urandom warnings) verbatim; crng_init transitions (with the
 * readiness source), reseeds and the jitter loop as events.
 */
export function crngEventHandler(
  con: KernelConsole,
  readiness: ReadinessTracker,
  initial: CrngInitState,
): (e: CrngEvent) => void {
  let state = initial;
  return (e) => {
    switch (e.kind) {
      case "crng-init-done": {
        readiness.initDone(e.at);
        con.printkAt(e.at, "notice", e.message);
        const from = state;
        state = "READY";
        con.emitAt(e.at, "init-state", `crng_init ${from} -> READY (${readiness.source})`, {
          from,
          to: "READY",
          source: readiness.source,
        });
        return;
      }
      case "crng-early":
        state = "EARLY";
        con.emitAt(e.at, "init-state", e.message, {
          from: "EMPTY",
          to: "EARLY",
          initBits: e.initBits,
        });
        return;
      case "crng-reseed":
        con.emitAt(e.at, "reseed", e.message, { reason: e.reason, generation: e.generation });
        return;
      case "jitter-start":
      case "jitter-unusable":
        con.emitAt(e.at, "jitter", e.message, {
          samplesPerBit: e.samplesPerBit,
          usable: e.kind === "jitter-start",
        });
        return;
      default:
        if (e.printk) con.printkAt(e.at, "notice", e.message);
    }
  };
}

/**
 * The virtio-rng driver's events: driver errors (malformed answers) are logged and counted;
 * the hw_random reads become "hwrng" events with what was really credited (0 in CoCo).
 */
export function hwrngEventHandler(
  con: KernelConsole,
  accounting: GuestAccounting,
  credits: boolean,
): (e: VirtioRngDriverEvent) => void {
  return (e) => {
    switch (e.kind) {
      case "driver-error":
        accounting.add("virtio-rng", { errors: 1 });
        con.driverError("virtio-rng", e.message, { code: e.code, id: e.id });
        return;
      case "early-randomness":
        con.emit("hwrng", `add_early_randomness: ${e.bytes} bytes`, {
          bytes: e.bytes,
          bits: credits ? e.creditedBits : 0,
        });
        return;
      case "credit":
        con.emit("hwrng", `hwrng_fillfn: ${e.bytes} bytes, sleep ${e.sleepMs} ms`, {
          bytes: e.bytes,
          bits: credits ? e.creditedBits : 0,
          sleepMs: e.sleepMs,
        });
        return;
      case "empty-read":
        con.emit("hwrng", `hwrng_fillfn: no data, sleep ${e.sleepMs} ms`, {
          bytes: 0,
          sleepMs: e.sleepMs,
        });
        return;
    }
  };
}
