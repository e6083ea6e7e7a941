import { type Static, Type } from "@sinclair/typebox";
import { Enum, Key, Millis, NodeId, Obj, OpenObject, ReqId, Tag, Text, U32 } from "./common.js";

export const Level = Enum(["debug", "info", "warn", "error"]);

/**
 * client → host: stream events matching the filter (absent filter fields match everything).
 * Reply: `events.subscribed`; then `event` messages carrying that `sub`.
 */
export const EventsSubscribe = Obj({
  t: Tag("events.subscribe"),
  id: ReqId,
  nodes: Type.Optional(Type.Array(NodeId, { maxItems: 256 })),
  kinds: Type.Optional(Type.Array(Key, { maxItems: 64 })),
  minLevel: Type.Optional(Level),
});
export type EventsSubscribe = Static<typeof EventsSubscribe>;

/** host → client, reply to `events.subscribe`: the subscription id. */
export const EventsSubscribed = Obj({ t: Tag("events.subscribed"), re: ReqId, sub: U32 });
export type EventsSubscribed = Static<typeof EventsSubscribed>;

/** client → host: stop a subscription. Reply: `ok`. */
export const EventsUnsubscribe = Obj({ t: Tag("events.unsubscribe"), id: ReqId, sub: U32 });
export type EventsUnsubscribe = Static<typeof EventsUnsubscribe>;

/**
 * One-way. guest → hypervisor → host (without `sub`): something happened on `node` at virtual
 * time `vtimeMs` ("crng.ready", "vmgenid.notify", "boot.panic", ...); host → client (with `sub`):
 * delivery to a subscriber. Also the line format of the run directory's event history.
 */
export const Event = Obj({
  t: Tag("event"),
  sub: Type.Optional(U32),
  node: NodeId,
  vtimeMs: Millis,
  kind: Key,
  level: Level,
  message: Text(4096),
  data: Type.Optional(OpenObject),
});
export type Event = Static<typeof Event>;
