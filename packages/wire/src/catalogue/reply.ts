import { type Static, Type } from "@sinclair/typebox";
import { Bytes, ErrorCodeText, Obj, ReqId, Tag, Text } from "./common.js";

/**
 * any peer → any peer, reply to a request that succeeded with nothing to report
 * (e.g. `boot.params`, `guest.load`, `events.unsubscribe`).
 */
export const Ok = Obj({ t: Tag("ok"), re: ReqId });
export type Ok = Static<typeof Ok>;

/**
 * any peer → any peer, a failure. With `re` it answers that request (the requester sees
 * WireError E_REMOTE carrying `code`); without `re` it reports a frame that could not be
 * correlated (undecodable bytes, a one-way message that failed). Peers never answer an `error`.
 */
export const ErrorMsg = Obj({
  t: Tag("error"),
  re: Type.Optional(ReqId),
  code: ErrorCodeText,
  message: Text(1024),
  /** For E_SCHEMA: JSON-pointer path of the offending field. */
  path: Type.Optional(Text(256)),
});
export type ErrorMsg = Static<typeof ErrorMsg>;

/**
 * any peer → any peer: round-trip probe with a payload, answered by `echo.reply` carrying the
 * same bytes. Used by `vmrng ping` and the wire benchmark to measure a link.
 */
export const Echo = Obj({ t: Tag("echo"), id: ReqId, data: Bytes(1 << 20) });
export type Echo = Static<typeof Echo>;

/** any peer → any peer, reply to `echo` with the bytes it carried. */
export const EchoReply = Obj({ t: Tag("echo.reply"), re: ReqId, data: Bytes(1 << 20) });
export type EchoReply = Static<typeof EchoReply>;
