import { Type } from "@sinclair/typebox";
import { defineKind, Int, Ms, NODE_ID_PATTERN, Params, Probability } from "./define.js";

/**
 * `up` = child → parent, `down` = parent → child, `both` = both. The parent (server side of the
 * link) applies link faults: on its sends for `down`, on its receives for `up`.
 */
export const LinkDirection = Type.Union(
  [Type.Literal("up"), Type.Literal("down"), Type.Literal("both")],
  { default: "both" },
);
export type LinkDirection = "up" | "down" | "both";

const link = { layer: "link", owner: "parent", roles: ["hypervisor", "guest"] } as const;

/** Toxiproxy-style toxics on the WebSocket link between a node and its parent. */
export const LINK_KINDS = {
  latency: defineKind({
    ...link,
    params: Params({
      direction: LinkDirection,
      latencyMs: Ms(),
      jitterMs: Ms(0),
    }),
    description: "delay every message by latencyMs ± jitterMs (uniform), order kept",
    counterpart: "a slow or congested network path (Toxiproxy latency toxic, tc netem delay)",
  }),
  bandwidth: defineKind({
    ...link,
    params: Params({ direction: LinkDirection, bytesPerSec: Int(1, 1_000_000_000) }),
    description: "pace frames so at most bytesPerSec encoded bytes pass per second",
    counterpart: "a thin or shaped link (Toxiproxy bandwidth toxic, tc tbf)",
  }),
  slow_close: defineKind({
    ...link,
    params: Params({ direction: LinkDirection, delayMs: Ms() }),
    description: "delay the close of the connection by delayMs",
    counterpart:
      "a peer that lingers in FIN_WAIT / a proxy slow to tear down (Toxiproxy slow_close)",
  }),
  timeout: defineKind({
    ...link,
    params: Params({ direction: LinkDirection, timeoutMs: Ms(0) }),
    description:
      "blackhole: swallow every message; 0 = forever, else close the connection after timeoutMs",
    counterpart: "a silently dropping firewall or dead peer (Toxiproxy timeout toxic)",
  }),
  reset_peer: defineKind({
    ...link,
    params: Params({ direction: LinkDirection, timeoutMs: Ms(0) }),
    description:
      "after timeoutMs (0 = at once) destroy the TCP socket abruptly (RST, no close frame)",
    counterpart: "a crashed peer or middlebox sending TCP RST (Toxiproxy reset_peer)",
  }),
  slicer: defineKind({
    ...link,
    params: Params({
      direction: LinkDirection,
      averageSize: Int(1, 1_048_576, 64),
      sizeVariation: Int(0, 1_048_576, 32),
      delayUs: Int(0, 10_000_000, 100),
    }),
    description:
      "send each frame as fragments of averageSize ± sizeVariation bytes, delayUs apart (on sends)",
    counterpart: "TCP segmentation and small MSS paths (Toxiproxy slicer)",
    refine: (p) =>
      (p.sizeVariation as number) >= (p.averageSize as number)
        ? `sizeVariation (${String(p.sizeVariation)}) must be less than averageSize (${String(p.averageSize)}) so every fragment has at least 1 byte`
        : undefined,
  }),
  limit_data: defineKind({
    ...link,
    params: Params({ direction: LinkDirection, bytes: Int(0, Number.MAX_SAFE_INTEGER) }),
    description: "close the connection once this many bytes passed in the direction",
    counterpart: "a proxy or quota that cuts a connection mid-stream (Toxiproxy limit_data)",
  }),
  drop: defineKind({
    ...link,
    params: Params({ direction: LinkDirection, probability: Probability() }),
    description: "drop whole messages with this probability",
    counterpart: "message loss above the transport (a lossy relay, a buggy queue)",
  }),
  duplicate: defineKind({
    ...link,
    params: Params({ direction: LinkDirection, probability: Probability() }),
    description: "deliver a message twice with this probability",
    counterpart: "at-least-once delivery, a retransmitting relay",
  }),
  corrupt: defineKind({
    ...link,
    params: Params({
      direction: LinkDirection,
      probability: Probability(),
      bytes: Int(1, 1024, 1),
    }),
    description: "with this probability flip `bytes` random bytes of the encoded frame",
    counterpart: "bit rot on the path; the codec must reject the frame, never act on it",
  }),
  partition: defineKind({
    layer: "link",
    owner: "parent",
    roles: ["host", "hypervisor", "guest"],
    params: Params({ with: Type.String({ pattern: NODE_ID_PATTERN, maxLength: 63 }) }),
    description: "cut all traffic between the target node and the node `with`",
    counterpart: "a network partition (Jepsen nemesis partition, iptables DROP both ways)",
  }),
} as const;
