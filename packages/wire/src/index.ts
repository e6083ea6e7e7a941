/**
 * @vmrng/wire — the one place message shapes are defined (catalogue), the strict codec that
 * turns them into frames, and the WebSocket Link every vmrng process speaks through.
 */
export * from "./catalogue/index.js";
export { Codec } from "./codec/codec.js";
export { type CodecLimits, DEFAULT_LIMITS } from "./codec/limits.js";
export { PACKR_OPTIONS, UNPACKR_OPTIONS } from "./codec/options.js";
export {
  checkSource,
  isMessage,
  precompiledChecksModule,
  validateMessage,
} from "./codec/validate.js";
export {
  CloseCode,
  isWireError,
  isWireErrorCode,
  WireError,
  WireErrorCode,
  type WireErrorDetails,
} from "./errors.js";
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./link/backoff.js";
export {
  type ClientState,
  type ClientStateChange,
  type ConnectOptions,
  connectLink,
  LinkClient,
  type LinkClientEvents,
} from "./link/client.js";
export {
  type HandledType,
  type Handler,
  type HandlerResult,
  HandlerTable,
  type OneWayHandler,
  type ReplyBody,
  type RequestHandler,
} from "./link/handlers.js";
export {
  negotiateVersion,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
  type VersionRange,
} from "./link/handshake.js";
export {
  Link,
  type LinkClose,
  type LinkEvents,
  type LinkIdentity,
  type LinkStats,
  type RequestBody,
  type RequestOptions,
} from "./link/link.js";
export { relay } from "./link/relay.js";
export {
  createLinkServer,
  LinkServer,
  type LinkServerEvents,
  type LinkServerOptions,
  type RejectedConnection,
} from "./link/server.js";
export {
  generateToken,
  NODE_HEADER,
  parseBearer,
  ROLE_HEADER,
  TOKEN_PATTERN,
  TokenRegistry,
  type TokenScope,
} from "./link/tokens.js";
export type { Toxic, ToxicDirection, ToxicEntry } from "./link/toxics/types.js";
export type { LinkTuning } from "./link/tuning.js";
export {
  type PendingUpgrade,
  startUpgrade,
  type UpgradeOutcome,
  type UpgradeTarget,
} from "./link/upgrade.js";
