/**
 * Every failure the wire layer reports is a `WireError` with a stable `code`, so callers branch on
 * codes rather than on message text, and the same code travels to the peer in an `error` reply.
 */
export const WireErrorCode = {
  /** A frame exceeded the configured byte limit; it was rejected before any decoding. */
  FRAME_TOO_LARGE: "E_FRAME_TOO_LARGE",
  /** Bytes that are not one well-formed MessagePack map within the limits (depth, lengths, ext). */
  DECODE: "E_DECODE",
  /** A decoded or outgoing message does not match its schema; the message names the field path. */
  SCHEMA: "E_SCHEMA",
  /** A message whose `t` is not in the catalogue. */
  UNKNOWN_TYPE: "E_UNKNOWN_TYPE",
  /** No common protocol version in the handshake. */
  VERSION: "E_VERSION",
  /** Missing/unknown token, or a peer acting outside its token's scope (role, node, message). */
  AUTH: "E_AUTH",
  /** A request got no reply in time, or a handshake did not complete in time. */
  TIMEOUT: "E_TIMEOUT",
  /** The link is not open (never opened, closed, or reconnecting). */
  CLOSED: "E_CLOSED",
  /** The bounded outgoing queue (or the pending-request table) is full. */
  BACKPRESSURE: "E_BACKPRESSURE",
  /** The peer answered with an `error` message; `remoteCode` holds its code. */
  REMOTE: "E_REMOTE",
  /** A handler threw something that was not a WireError; details stay local. */
  INTERNAL: "E_INTERNAL",
  /** A request arrived for a message type no handler is registered for on this peer. */
  NO_HANDLER: "E_NO_HANDLER",
  /** Application codes a handler may use to refuse a well-formed request. */
  NOT_FOUND: "E_NOT_FOUND",
  CONFLICT: "E_CONFLICT",
  UNSUPPORTED: "E_UNSUPPORTED",
  INVALID: "E_INVALID",
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(WireErrorCode));
export function isWireErrorCode(code: string): code is WireErrorCode {
  return KNOWN_CODES.has(code);
}

export interface WireErrorDetails {
  /** The request id the error belongs to, when the offending frame carried a readable one. */
  requestId?: number;
  /** For E_REMOTE: the code the peer sent (may be one this build does not know). */
  remoteCode?: string;
  /** For E_SCHEMA: the JSON-pointer path of the first offending field, e.g. "/cpu/cpus". */
  path?: string;
  cause?: unknown;
}

export class WireError extends Error {
  override readonly name = "WireError";
  readonly code: WireErrorCode;
  readonly requestId: number | undefined;
  readonly remoteCode: string | undefined;
  readonly path: string | undefined;

  constructor(code: WireErrorCode, message: string, details: WireErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.requestId = details.requestId;
    this.remoteCode = details.remoteCode;
    this.path = details.path;
  }
}

export function isWireError(e: unknown): e is WireError {
  return e instanceof WireError;
}

/**
 * WebSocket close codes used by the Link. 4000–4999 is the range RFC 6455 §7.4.2 leaves to
 * applications; the suffixes mirror the closest HTTP status so they read naturally in logs.
 */
export const CloseCode = {
  NORMAL: 1000,
  /** The server (or client) is shutting down. */
  GOING_AWAY: 1001,
  /**
   * Frame over the size limit. ws enforces `maxPayload` in its frame parser from the length in
   * the header, before buffering the payload, and then closes with RFC 6455's 1009 itself; we keep
   * that code instead of an application one because that check is the one that must happen first.
   */
  TOO_LARGE: 1009,
  /** Malformed frames beyond the per-connection budget, or a protocol violation (no hello first). */
  MALFORMED: 4400,
  /** The hello claimed a role/node outside the token's scope. (A bad token gets HTTP 401 instead.) */
  AUTH: 4401,
  /**
   * A silent peer: no pong within two heartbeat intervals. Reported locally only: the socket is
   * terminated without a close frame, since the peer is not listening anyway.
   */
  HEARTBEAT_TIMEOUT: 4408,
  /** No hello (server side) or welcome (client side) within the handshake timeout. */
  HANDSHAKE_TIMEOUT: 4409,
  /** No common protocol version. */
  VERSION: 4426,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
