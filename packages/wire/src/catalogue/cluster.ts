import { type Static, Type } from "@sinclair/typebox";
import { Enum, NodeId, Obj, ReqId, Tag, Text, U32 } from "./common.js";

/** client → host: start the hypervisors and guests of the cluster file. Reply: `cluster.state`. */
export const ClusterUp = Obj({
  t: Tag("cluster.up"),
  id: ReqId,
  /** Path of the cluster file as the host sees it; absent = the file the host was started with. */
  config: Type.Optional(Text(4096, 1)),
});
export type ClusterUp = Static<typeof ClusterUp>;

/**
 * client → host: stop every guest and hypervisor (graceful, then killed after `timeoutMs`).
 * Reply: `cluster.state`.
 */
export const ClusterDown = Obj({
  t: Tag("cluster.down"),
  id: ReqId,
  timeoutMs: Type.Optional(U32),
});
export type ClusterDown = Static<typeof ClusterDown>;

export const ClusterPhase = Enum(["starting", "up", "stopping", "down"]);

/** host → client, reply to `cluster.up` / `cluster.down`: where the cluster stands and its nodes. */
export const ClusterState = Obj({
  t: Tag("cluster.state"),
  re: ReqId,
  state: ClusterPhase,
  nodes: Type.Array(NodeId, { maxItems: 4096 }),
});
export type ClusterState = Static<typeof ClusterState>;
