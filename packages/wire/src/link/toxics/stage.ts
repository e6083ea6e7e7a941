/** What a toxic may do to the connection as a whole (the Link implements it). */
export interface StageContext {
  /** The random source of the toxic (Math.random, or the scenario runner's seeded one). */
  readonly random: () => number;
  /**
   * End the connection like Toxiproxy's `stub.Close()`: what was written still goes out, then a
   * FIN; no WebSocket close frame, so the peer sees 1006.
   */
  end(reason: string): void;
  /** Destroy the TCP socket with an RST (SO_LINGER 0): the peer sees ECONNRESET and 1006. */
  reset(reason: string): void;
}

/**
 * One toxic in a direction's chain (Toxiproxy's ToxicStub + Pipe): takes frames from the stage
 * before it and hands what it lets through to `out`, now or later, in order.
 */
export interface Stage {
  push(frame: Uint8Array): void;
  /** Bytes held right now (latency, bandwidth, slicer); counted against the Link's queue bound. */
  heldBytes(): number;
  /**
   * The toxic is being removed: hand on everything still held, in order, and stop. Toxiproxy
   * does the same on interrupt ("Don't drop any data on the floor", latency.go, bandwidth.go).
   */
  release(): void;
  /** The link is gone: stop timers and drop whatever is held. */
  dispose(): void;
}

export type Out = (frame: Uint8Array) => void;
