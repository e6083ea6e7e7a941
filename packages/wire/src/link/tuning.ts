import { type CodecLimits, resolveLimits } from "../codec/limits.js";

/** Knobs shared by both ends of a Link. Every bound here keeps a misbehaving peer from growing us. */
export interface LinkTuning {
  /** Codec limits; `maxFrameBytes` is also the ws `maxPayload`. */
  limits?: Partial<CodecLimits>;
  /** Default per-request timeout (E_TIMEOUT). */
  requestTimeoutMs?: number;
  /** Above this many bytes in the socket's send buffer, frames wait in the outgoing queue. */
  highWaterMark?: number;
  /** The queue starts flushing again once the send buffer is below this. */
  lowWaterMark?: number;
  /** Outgoing queue bounds; beyond either, sends fail with E_BACKPRESSURE. */
  maxQueuedFrames?: number;
  maxQueuedBytes?: number;
  /** Most requests awaiting a reply at once (E_BACKPRESSURE beyond). */
  maxPendingRequests?: number;
  /** Reading from the peer pauses while this many of its requests are being handled. */
  maxConcurrentHandlers?: number;
  /** Malformed frames tolerated per connection (each gets an error reply); then close 4400. */
  malformedBudget?: number;
  /** How long close() waits for the peer's close frame before dropping the socket. */
  closeTimeoutMs?: number;
  /** Send the frames written in one tick with one writev (default true). */
  coalesceWrites?: boolean;
}

export interface ResolvedTuning {
  readonly limits: Readonly<CodecLimits>;
  readonly requestTimeoutMs: number;
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
  readonly maxQueuedFrames: number;
  readonly maxQueuedBytes: number;
  readonly maxPendingRequests: number;
  readonly maxConcurrentHandlers: number;
  readonly malformedBudget: number;
  readonly closeTimeoutMs: number;
  readonly coalesceWrites: boolean;
}

export function resolveTuning(t: LinkTuning = {}): ResolvedTuning {
  const limits = resolveLimits(t.limits);
  const r: ResolvedTuning = {
    limits,
    requestTimeoutMs: t.requestTimeoutMs ?? 10_000,
    highWaterMark: t.highWaterMark ?? 1024 * 1024,
    lowWaterMark: t.lowWaterMark ?? 256 * 1024,
    maxQueuedFrames: t.maxQueuedFrames ?? 1024,
    maxQueuedBytes: t.maxQueuedBytes ?? 8 * 1024 * 1024,
    maxPendingRequests: t.maxPendingRequests ?? 4096,
    maxConcurrentHandlers: t.maxConcurrentHandlers ?? 1024,
    malformedBudget: t.malformedBudget ?? 64,
    closeTimeoutMs: t.closeTimeoutMs ?? 2000,
    coalesceWrites: t.coalesceWrites ?? true,
  };
  if (r.lowWaterMark > r.highWaterMark) {
    throw new RangeError("lowWaterMark must not exceed highWaterMark");
  }
  for (const [k, v] of Object.entries(r)) {
    if (k === "limits" || k === "coalesceWrites") continue;
    if (typeof v !== "number" || !(v >= 0)) throw new RangeError(`${k} must be a number >= 0`);
  }
  return r;
}
