import type { ValidFault } from "../spec.js";
import { attackerBytes } from "./attacker.js";

/** What the device puts in the used ring for one request, or that it holds the request. */
export type VirtioAnswer = { deliver: false } | { deliver: true; bytes: Uint8Array };

/** How the active device faults bend virtio-rng answers for one guest. */
export interface VirtioFaultPlan {
  /** True when no fault touches virtio-rng (answer() returns freshBytes as they are). */
  readonly healthy: boolean;
  /** Requests are held while this is true (virtio.stall). */
  readonly stall: boolean;
  /** The cap on used.len (virtio.short), or null. */
  readonly shortBytes: number | null;
  /** Where the bytes come from. */
  readonly content: "fresh" | "zeros" | "repeat" | "attacker";
  /**
   * The answer to a request for `requestedLen` bytes. `freshBytes` are what the healthy device
   * would return (at least requestedLen long); `previousBytes` the last buffer delivered.
   */
  answer(requestedLen: number, freshBytes: Uint8Array, previousBytes?: Uint8Array): VirtioAnswer;
}

/**
 * Folds a guest's active device faults into one virtio-rng plan, in id order (later wins):
 * - virtio.stall: the buffer is never returned. The driver waits on its completion
 *   (drivers/char/hw_random/virtio-rng.c virtio_read: wait_for_completion_killable), so the
 *   hwrng kthread blocks and no entropy is credited.
 * - virtio.short: used.len = min(bytes, requested). random_recv_done() takes the length from
 *   virtqueue_get_buf() as data_avail and virtio_read returns that many bytes, so hw_random
 *   credits only what came back.
 * - virtio.zeros / virtio.repeat / malicious: what fills the buffer (the last one armed wins).
 * `counterStart` numbers the attacker's answers (the process keeps it across plans).
 */
export function virtioFaultFor(faults: readonly ValidFault[], counterStart = 0): VirtioFaultPlan {
  let stall = false;
  let shortBytes: number | null = null;
  let content: VirtioFaultPlan["content"] = "fresh";
  for (const f of faults) {
    switch (f.kind) {
      case "virtio.stall":
        stall = true;
        break;
      case "virtio.short":
        shortBytes = shortBytes === null ? f.params.bytes : Math.min(shortBytes, f.params.bytes);
        break;
      case "virtio.zeros":
        content = "zeros";
        break;
      case "virtio.repeat":
        content = "repeat";
        break;
      case "malicious":
        content = "attacker";
        break;
    }
  }
  let counter = counterStart;
  return {
    healthy: !stall && shortBytes === null && content === "fresh",
    stall,
    shortBytes,
    content,
    answer(requestedLen, freshBytes, previousBytes) {
      if (!Number.isSafeInteger(requestedLen) || requestedLen < 0) {
        throw new RangeError(`virtio answer: bad requested length ${requestedLen}`);
      }
      if (stall) return { deliver: false };
      const len = shortBytes === null ? requestedLen : Math.min(shortBytes, requestedLen);
      switch (content) {
        case "zeros":
          return { deliver: true, bytes: new Uint8Array(len) };
        case "attacker":
          return { deliver: true, bytes: attackerBytes("virtio", len, counter++) };
        case "repeat":
          // The previous buffer again (a copy, so the caller may keep it as the next previous).
          // With none yet, the first answer is fresh and becomes the one repeated.
          if (previousBytes !== undefined) {
            return {
              deliver: true,
              bytes: previousBytes.slice(0, Math.min(len, previousBytes.length)),
            };
          }
          break;
      }
      if (freshBytes.length < len) {
        throw new RangeError(
          `virtio answer: ${freshBytes.length} fresh bytes for a ${len}-byte answer`,
        );
      }
      return { deliver: true, bytes: freshBytes.slice(0, len) };
    },
  };
}
