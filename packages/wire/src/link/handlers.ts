import {
  isMessageType,
  kindOf,
  type Message,
  type MessageOf,
  type OneWayType,
  type RequestType,
} from "../catalogue/registry.js";
import type { ReplyTo, ReplyType } from "../catalogue/routes.js";
import type { Link } from "./link.js";

/** A reply as a handler returns it: the Link adds `re`. */
export type ReplyBody<T extends RequestType> =
  ReplyTo<T> extends infer R ? (R extends unknown ? Omit<R, "re"> : never) : never;

/** What a request handler may return: a reply body, or nothing where `ok` answers the request. */
export type HandlerResult<T extends RequestType> =
  "ok" extends ReplyType<T> ? ReplyBody<T> | undefined : ReplyBody<T>;

/**
 * Handles a request and returns (or resolves to) its reply body; the Link adds `re`. Throw a
 * WireError to answer with its code (a forwarded E_REMOTE keeps the remote code); any other
 * throw answers E_INTERNAL and is reported locally as a `wireError` event.
 */
export type RequestHandler<T extends RequestType> = (
  msg: MessageOf<T>,
  link: Link,
) => HandlerResult<T> | Promise<HandlerResult<T>>;

/** Handles a one-way message; nothing is sent back unless it throws (then an uncorrelated error). */
export type OneWayHandler<T extends OneWayType> = (
  msg: MessageOf<T>,
  link: Link,
) => void | Promise<void>;

export type HandledType = RequestType | OneWayType;
export type Handler<T extends HandledType> = T extends RequestType
  ? RequestHandler<T>
  : T extends OneWayType
    ? OneWayHandler<T>
    : never;

type StoredHandler = (msg: Message, link: Link) => unknown;

/**
 * Handlers by message type. A Link's table falls back to its server's or client's table, so
 * handlers registered once on a server serve every connection, and a client's survive reconnects.
 */
export class HandlerTable {
  readonly #own = new Map<string, StoredHandler>();
  readonly #parent: HandlerTable | undefined;

  constructor(parent?: HandlerTable) {
    this.#parent = parent;
  }

  set<T extends HandledType>(t: T, handler: Handler<T>): void {
    if (!isMessageType(t)) throw new TypeError(`unknown message type ${JSON.stringify(t)}`);
    const kind = kindOf(t);
    if (kind !== "request" && kind !== "oneway") {
      throw new TypeError(
        `${t} is a ${kind} message; only requests and one-way messages are handled`,
      );
    }
    this.#own.set(t, handler as unknown as StoredHandler);
  }

  delete(t: HandledType): boolean {
    return this.#own.delete(t);
  }

  get(t: string): StoredHandler | undefined {
    return this.#own.get(t) ?? this.#parent?.get(t);
  }
}
