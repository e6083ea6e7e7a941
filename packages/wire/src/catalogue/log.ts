import { type Static, Type } from "@sinclair/typebox";
import { Millis, NodeId, Obj, ReqId, Tag, Text, U32 } from "./common.js";

/** printk levels KERN_EMERG (0) .. KERN_DEBUG (7), include/linux/kern_levels.h. */
export const Loglevel = Type.Integer({ minimum: 0, maximum: 7 });

/** Longest log line carried: printk's PRINTKRB_RECORD_MAX is 1024 bytes of text in 6.x. */
export const LOG_LINE_MAX = 1024;

export const LogEntry = Obj({ vtimeMs: Millis, level: Loglevel, text: Text(LOG_LINE_MAX) });
export type LogEntry = Static<typeof LogEntry>;

/**
 * One-way. guest → hypervisor, hypervisor → host: one kernel log line (e.g.
 * "random: crng init done") for the node's log file and `log.read`.
 */
export const LogLine = Obj({
  t: Tag("log.line"),
  node: NodeId,
  vtimeMs: Millis,
  level: Loglevel,
  text: Text(LOG_LINE_MAX),
});
export type LogLine = Static<typeof LogLine>;

/**
 * client → host: the last `lines` log lines of `node`, optionally only those after virtual time
 * `sinceMs`. Reply: `log.lines`.
 */
export const LogRead = Obj({
  t: Tag("log.read"),
  id: ReqId,
  node: NodeId,
  lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  sinceMs: Type.Optional(Millis),
});
export type LogRead = Static<typeof LogRead>;

/** host → client, reply to `log.read`; `more` = older lines exist beyond this page. */
export const LogLines = Obj({
  t: Tag("log.lines"),
  re: ReqId,
  node: NodeId,
  lines: Type.Array(LogEntry, { maxItems: 1000 }),
  more: Type.Boolean(),
  /** Lines dropped by the ring since the node started (like printk's "messages suppressed"). */
  dropped: Type.Optional(U32),
});
export type LogLines = Static<typeof LogLines>;
