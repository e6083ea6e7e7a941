/**
 * Toxiproxy-style toxics (github.com/Shopify/toxiproxy, toxics/*.go), applied on one side of a
 * Link to the frames it sends or receives. Toxiproxy works on a TCP byte stream; a Link works on
 * WebSocket messages, so every toxic here acts on whole encoded frames unless its comment says
 * otherwise (the slicer splits one frame into WebSocket continuation fragments).
 */
export type Toxic =
  /** Delay each message by latencyMs ± uniform jitterMs (never below 0); order is kept. */
  | { type: "latency"; latencyMs: number; jitterMs: number }
  /** Pace messages so encoded bytes per second stay at or below the rate. */
  | { type: "bandwidth"; bytesPerSec: number }
  /** Delay the close of the connection by delayMs (send: our close frame; receive: the peer's). */
  | { type: "slow_close"; delayMs: number }
  /** Blackhole: swallow everything (pings and pongs too); 0 = forever, else end the connection after timeoutMs. */
  | { type: "timeout"; timeoutMs: number }
  /** After timeoutMs (0 = at once) destroy the TCP socket with an RST: no close frame. */
  | { type: "reset_peer"; timeoutMs: number }
  /** Send each frame as continuation fragments of ~averageSize ± sizeVariation bytes, delayUs apart (send only). */
  | { type: "slicer"; averageSize: number; sizeVariation: number; delayUs: number }
  /** End the connection once this many encoded bytes passed in this direction. */
  | { type: "limit_data"; bytes: number }
  /** Drop whole messages with this probability. */
  | { type: "drop"; probability: number }
  /** Deliver a message twice with this probability. */
  | { type: "duplicate"; probability: number }
  /** With this probability, flip `bytes` distinct random bytes of the encoded frame. */
  | { type: "corrupt"; probability: number; bytes: number };

export type ToxicType = Toxic["type"];

/** "send": frames this side writes (after encoding); "receive": frames it read (before decoding). */
export type ToxicDirection = "send" | "receive";

export interface ToxicEntry {
  readonly name: string;
  readonly direction: ToxicDirection;
  readonly toxic: Toxic;
}
