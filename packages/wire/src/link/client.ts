import type { Socket } from "node:net";
import { type ClientOptions, WebSocket } from "ws";
import type { MessageOf, OneWay, RequestType } from "../catalogue/registry.js";
import type { ReplyTo, RoleName } from "../catalogue/routes.js";
import { Codec } from "../codec/codec.js";
import { validateMessage } from "../codec/validate.js";
import { CloseCode, isWireErrorCode, WireError } from "../errors.js";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { type HandledType, type Handler, HandlerTable } from "./handlers.js";
import {
  checkRange,
  negotiateVersion,
  rawToBytes,
  SUPPORTED_VERSIONS,
  type VersionRange,
} from "./handshake.js";
import { Link, type RequestBody, type RequestOptions } from "./link.js";
import { NODE_HEADER, ROLE_HEADER } from "./tokens.js";
import { type LinkTuning, type ResolvedTuning, resolveTuning } from "./tuning.js";

export interface ConnectOptions extends LinkTuning {
  /** ws://host:port/ of a LinkServer. */
  url: string;
  /** Bearer token; its scope must be exactly {role, node}. */
  token: string;
  role: RoleName;
  node: string;
  versions?: VersionRange;
  /** Refuse a server that is not this role/node (e.g. a guest only talks to its hypervisor). */
  expect?: { role?: RoleName; node?: string };
  /** Sent in hello for the server's logs. */
  software?: string;
  /** Reconnect after failures and lost connections (default true), with these backoff knobs. */
  reconnect?: boolean | Partial<BackoffOptions>;
  /** Jitter source in [0, 1) (default Math.random); inject a deterministic one in tests. */
  random?: () => number;
  /** Upgrade + welcome must complete within this (default 5000 ms). */
  connectTimeoutMs?: number;
}

/**
 * connecting: an attempt is in progress. open: a Link is up. reconnecting: waiting `delayMs`
 * before the next attempt after a failure or a lost link. closed: final (close() was called,
 * reconnect is off, or the failure cannot heal by retrying: HTTP 401, E_AUTH, E_VERSION).
 */
export type ClientState = "connecting" | "open" | "reconnecting" | "closed";

export interface ClientStateChange {
  readonly state: ClientState;
  /** Attempts since the last successful open (0 for the first). */
  readonly attempt: number;
  readonly delayMs?: number;
  readonly error?: WireError;
}

export interface LinkClientEvents {
  state: [ClientStateChange];
  /** A new Link is open (after every successful (re)connect). */
  link: [Link];
  message: [OneWay];
  peerError: [WireError];
  wireError: [WireError];
}

/**
 * The connecting side of Links, with reconnection. Requests and sends go to the current Link
 * and fail fast with E_CLOSED while there is none; handlers registered here survive reconnects.
 */
export class LinkClient extends Emitter<LinkClientEvents> {
  readonly handlers = new HandlerTable();
  readonly #o: ConnectOptions;
  readonly #tuning: ResolvedTuning;
  readonly #versions: VersionRange;
  readonly #hello: MessageOf<"hello">;
  readonly #backoff: BackoffOptions | undefined;
  readonly #random: () => number;
  #state: ClientState = "connecting";
  #link: Link | undefined;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastError: WireError | undefined;

  /** @internal use connectLink */
  constructor(options: ConnectOptions) {
    super();
    const url = new URL(options.url); // throws TypeError on a malformed URL, at the call site
    if (url.protocol !== "ws:" && url.protocol !== "wss:") {
      throw new TypeError(`connectLink needs a ws:// or wss:// URL, got ${url.protocol}`);
    }
    this.#o = options;
    this.#tuning = resolveTuning(options);
    this.#versions = checkRange(options.versions ?? SUPPORTED_VERSIONS);
    // Validated now, so a bad role/node/software fails at the call site (E_SCHEMA), not later
    // inside a socket callback.
    this.#hello = validateMessage({
      t: "hello",
      minVersion: this.#versions.min,
      maxVersion: this.#versions.max,
      role: options.role,
      node: options.node,
      software: (options.software ?? "vmrng-wire").slice(0, 64),
    }) as MessageOf<"hello">;
    const r = options.reconnect ?? true;
    this.#backoff = r === false ? undefined : { ...DEFAULT_BACKOFF, ...(r === true ? {} : r) };
    this.#random = options.random ?? Math.random;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The open Link, if any. */
  get link(): Link | undefined {
    return this.#link;
  }

  /** Resolves with the Link once open (at once if open now); rejects when the client closes for good. */
  opened(): Promise<Link> {
    if (this.#link !== undefined && this.#state === "open") return Promise.resolve(this.#link);
    if (this.#state === "closed") {
      return Promise.reject(this.#lastError ?? new WireError("E_CLOSED", "client is closed"));
    }
    return new Promise((resolve, reject) => {
      const onState = (change: ClientStateChange): void => {
        if (change.state === "open") {
          this.off("state", onState);
          resolve(this.#link!);
        } else if (change.state === "closed") {
          this.off("state", onState);
          reject(change.error ?? new WireError("E_CLOSED", "client is closed"));
        }
      };
      this.on("state", onState);
    });
  }

  handle<T extends HandledType>(t: T, handler: Handler<T>): this {
    this.handlers.set(t, handler);
    return this;
  }

  request<T extends RequestType>(
    body: RequestBody<T> & { t: T },
    options?: RequestOptions,
  ): Promise<ReplyTo<T>> {
    const link = this.#link;
    if (link === undefined) {
      return Promise.reject(new WireError("E_CLOSED", `not connected (${this.#state})`));
    }
    return link.request<T>(body, options);
  }

  send(msg: OneWay): void {
    const link = this.#link;
    if (link === undefined) throw new WireError("E_CLOSED", `not connected (${this.#state})`);
    link.send(msg);
  }

  /** Stops reconnecting and closes the current connection; resolves once it is closed. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    const link = this.#link;
    const ws = this.#ws;
    if (link !== undefined && link.state !== "closed") {
      const closed = new Promise<void>((resolve) => link.once("close", () => resolve()));
      link.close(CloseCode.NORMAL, "client closing");
      await closed;
    } else if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
      ws.terminate();
      await closed;
    }
    this.#setState({ state: "closed", attempt: this.#attempt });
  }

  /** @internal */
  start(): void {
    // Deferred so listeners attached right after connectLink() see the first "connecting".
    process.nextTick(() => this.#connect());
  }

  #setState(change: ClientStateChange): void {
    if (this.#state === "closed") return;
    this.#state = change.state;
    if (change.error !== undefined) this.#lastError = change.error;
    this.emit("state", change);
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#setState({ state: "connecting", attempt: this.#attempt });
    const o = this.#o;
    const codec = new Codec(this.#tuning.limits);
    // closeTimeout exists in ws 8.18+ but not yet in @types/ws.
    const wsOptions: ClientOptions & { closeTimeout: number } = {
      headers: {
        Authorization: `Bearer ${o.token}`,
        [ROLE_HEADER]: o.role,
        [NODE_HEADER]: o.node,
      },
      perMessageDeflate: false,
      maxPayload: this.#tuning.limits.maxFrameBytes,
      handshakeTimeout: o.connectTimeoutMs ?? 5000,
      closeTimeout: this.#tuning.closeTimeoutMs,
    };
    let ws: WebSocket;
    try {
      ws = new WebSocket(o.url, wsOptions);
    } catch (e) {
      this.#lost(new WireError("E_CLOSED", `cannot connect: ${(e as Error).message}`), true);
      return;
    }
    this.#ws = ws;
    let failure: WireError | undefined;
    let fatal = false;
    let socket: Socket | undefined;
    ws.once("upgrade", (res) => {
      socket = res.socket as Socket;
    });
    let link: Link | undefined;
    const fail = (err: WireError, isFatal: boolean): void => {
      failure ??= err;
      fatal ||= isFatal;
    };
    const welcomeTimer = setTimeout(() => {
      fail(new WireError("E_TIMEOUT", "no welcome in time"), false);
      ws.terminate();
    }, o.connectTimeoutMs ?? 5000);
    welcomeTimer.unref();

    ws.on("error", (e) =>
      fail(new WireError("E_CLOSED", `connection failed: ${e.message}`), false),
    );
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 401)
        fail(new WireError("E_AUTH", "server refused the token (HTTP 401)"), true);
      else fail(new WireError("E_CLOSED", `server answered HTTP ${status} to the upgrade`), false);
      ws.terminate();
    });
    ws.once("open", () => {
      ws.send(codec.encode(this.#hello));
    });
    ws.once("message", (data, isBinary) => {
      clearTimeout(welcomeTimer);
      let reply: ReturnType<Codec["decode"]>;
      try {
        if (!isBinary) throw new WireError("E_DECODE", "text frame in handshake");
        reply = codec.decode(rawToBytes(data));
      } catch (e) {
        fail(e instanceof WireError ? e : new WireError("E_DECODE", String(e)), false);
        ws.close(CloseCode.MALFORMED, "bad welcome");
        return;
      }
      if (reply.t === "refusal") {
        const code = isWireErrorCode(reply.code) ? reply.code : "E_REMOTE";
        fail(
          new WireError(code, `server refused: ${reply.message}`, { remoteCode: reply.code }),
          code === "E_AUTH" || code === "E_VERSION",
        );
        return; // the server closes
      }
      if (reply.t !== "welcome") {
        fail(new WireError("E_INVALID", `expected welcome, got ${reply.t}`), false);
        ws.close(CloseCode.MALFORMED, "expected welcome");
        return;
      }
      const version = negotiateVersion(this.#versions, { min: reply.version, max: reply.version });
      if (version === undefined) {
        fail(new WireError("E_VERSION", `server chose version ${reply.version}`), true);
        ws.close(CloseCode.VERSION, "version outside the offered range");
        return;
      }
      const expect = o.expect;
      if (
        (expect?.role !== undefined && expect.role !== reply.role) ||
        (expect?.node !== undefined && expect.node !== reply.node)
      ) {
        fail(
          new WireError(
            "E_AUTH",
            `server is ${reply.role} ${reply.node}, expected ${expect.role ?? "*"} ${expect.node ?? "*"}`,
          ),
          true,
        );
        ws.close(CloseCode.AUTH, "unexpected server identity");
        return;
      }
      ws.off("close", onAttemptClose);
      link = new Link(ws, {
        codec,
        tuning: this.#tuning,
        local: { role: o.role, node: o.node },
        peer: { role: reply.role, node: reply.node },
        version,
        heartbeatMs: reply.heartbeatMs,
        handlers: new HandlerTable(this.handlers),
        socket,
      });
      this.#adopt(link);
    });
    const onAttemptClose = (code: number): void => {
      clearTimeout(welcomeTimer);
      if (code === CloseCode.AUTH || code === CloseCode.VERSION) {
        fail(
          new WireError(
            code === CloseCode.AUTH ? "E_AUTH" : "E_VERSION",
            `server closed with ${code}`,
          ),
          true,
        );
      }
      this.#lost(failure ?? new WireError("E_CLOSED", `connection closed (${code})`), fatal);
    };
    ws.once("close", onAttemptClose);
  }

  #adopt(link: Link): void {
    this.#link = link;
    this.#attempt = 0;
    link.on("message", (m) => this.emit("message", m));
    link.on("peerError", (e) => this.emit("peerError", e));
    link.on("wireError", (e) => this.emit("wireError", e));
    link.once("close", (info) => {
      if (this.#link === link) this.#link = undefined;
      const fatal = info.code === CloseCode.AUTH || info.code === CloseCode.VERSION;
      this.#lost(new WireError("E_CLOSED", `link closed (${info.code} ${info.reason})`), fatal);
    });
    this.#setState({ state: "open", attempt: 0 });
    if (this.#stopped) link.close(CloseCode.NORMAL, "client closing");
    else this.emit("link", link);
  }

  /** An attempt failed or an open link was lost: retry after a backoff, or stop. */
  #lost(error: WireError, fatal: boolean): void {
    this.#ws = undefined;
    if (this.#stopped) return;
    if (fatal || this.#backoff === undefined) {
      this.#stopped = true;
      this.#setState({ state: "closed", attempt: this.#attempt, error });
      return;
    }
    const delayMs = backoffDelay(this.#attempt, this.#backoff, this.#random);
    this.#setState({ state: "reconnecting", attempt: this.#attempt, delayMs, error });
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, delayMs);
  }
}

/**
 * Connects to a LinkServer and keeps reconnecting (unless told not to). Returns at once; await
 * `client.opened()` for the first Link, or listen to `state` / `link`.
 */
export function connectLink(options: ConnectOptions): LinkClient {
  const client = new LinkClient(options);
  client.start();
  return client;
}
