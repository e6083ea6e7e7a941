import type { Static } from "@sinclair/typebox";
import { ErrorCodeText, NodeId, Obj, Role, Tag, Text, U16, U32 } from "./common.js";

/**
 * client side → server side, first frame after the HTTP upgrade: the protocol versions this peer
 * speaks and who it claims to be. The claim must equal the scope of the bearer token that passed
 * the upgrade, else the server answers `refusal` (E_AUTH) and closes with 4401.
 */
export const Hello = Obj({
  t: Tag("hello"),
  minVersion: U16,
  maxVersion: U16,
  role: Role,
  node: NodeId,
  /** Free-form software identification for logs, e.g. "vmrng-guest/0.1.0". */
  software: Text(64),
});
export type Hello = Static<typeof Hello>;

/**
 * server side → client side, answer to `hello`: the highest version both speak, who the server
 * is, and the heartbeat interval both ends use from now on.
 */
export const Welcome = Obj({
  t: Tag("welcome"),
  version: U16,
  role: Role,
  node: NodeId,
  heartbeatMs: U32,
});
export type Welcome = Static<typeof Welcome>;

/**
 * server side → client side, answer to `hello` when the connection cannot proceed (E_VERSION:
 * no common version, the server's range is attached; E_AUTH: hello outside the token scope).
 * The server closes right after it.
 */
export const Refusal = Obj({
  t: Tag("refusal"),
  code: ErrorCodeText,
  message: Text(1024),
  minVersion: U16,
  maxVersion: U16,
});
export type Refusal = Static<typeof Refusal>;
