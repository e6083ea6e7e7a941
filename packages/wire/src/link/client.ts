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
import { type PendingUpgrade, startUpgrade, type UpgradeOutcome } from "./upgrade.js";

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
  /**
   * ws:// only: the first attempt's upgrade, already started with startUpgrade() for this url,
   * token, role and node (a process that dials before loading the rest of its code). Later
   * attempts dial afresh.
   */
  firstUpgrade?: PendingUpgrade;
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
  /** A raw upgrade in progress (ws:// URLs), before there is a WebSocket. */
  #upgrade: PendingUpgrade | undefined;
  #firstUpgrade: PendingUpgrade | undefined;
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
    this.#firstUpgrade = options.firstUpgrade;
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
    this.#upgrade?.abort("client closing");
    this.#firstUpgrade?.abort("client closing");
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
    const timeoutMs = o.connectTimeoutMs ?? 5000;
    if (new URL(o.url).protocol === "ws:") {
      // Our own upgrade request on a TCP socket, then ws frames on it (upgrade.ts says why).
      const first = this.#firstUpgrade;
      this.#firstUpgrade = undefined; // used once, by the first attempt only
      const pending =
        first ??
        startUpgrade({ url: o.url, token: o.token, role: o.role, node: o.node, timeoutMs });
      this.#upgrade = pending;
      const deadline = performance.now() + timeoutMs;
      void pending.result.then((outcome) => {
        if (this.#upgrade === pending) this.#upgrade = undefined;
        this.#afterUpgrade(outcome, codec, deadline - performance.now());
      });
      return;
    }
    // closeTimeout exists in ws 8.18+ but not yet in @types/ws.
    const wsOptions: ClientOptions & { closeTimeout: number } = {
      headers: {
        Authorization: `Bearer ${o.token}`,
        [ROLE_HEADER]: o.role,
        [NODE_HEADER]: o.node,
      },
      perMessageDeflate: false,
      maxPayload: this.#tuning.limits.maxFrameBytes,
      handshakeTimeout: timeoutMs,
      closeTimeout: this.#tuning.closeTimeoutMs,
    };
    let ws: WebSocket;
    try {
      ws = new WebSocket(o.url, wsOptions);
    } catch (e) {
      this.#lost(new WireError("E_CLOSED", `cannot connect: ${(e as Error).message}`), true);
      return;
    }
    let socket: Socket | undefined;
    ws.once("upgrade", (res) => {
      socket = res.socket as Socket;
    });
    const { fail } = this.#handshake(ws, codec, () => socket, timeoutMs);
    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      const refused = refusedError(res.statusCode ?? 0);
      fail(refused.error, refused.fatal);
      ws.terminate();
    });
    ws.once("open", () => {
      ws.send(codec.encode(this.#hello));
    });
  }

  /** The raw upgrade finished: wrap the socket in a client-side ws, or count the failure. */
  #afterUpgrade(outcome: UpgradeOutcome, codec: Codec, timeoutMs: number): void {
    if (outcome.kind === "refused") {
      const refused = refusedError(outcome.status);
      this.#lost(refused.error, refused.fatal);
      return;
    }
    if (outcome.kind === "failed") {
      this.#lost(new WireError("E_CLOSED", `connection failed: ${outcome.message}`), false);
      return;
    }
    if (this.#stopped) {
      outcome.socket.destroy();
      return;
    }
    // ws has no public way to take a socket that a client upgraded itself: a WebSocket made
    // without a URL is a server-side one, so it is switched to the client side (frames we send
    // masked, frames we receive unmasked: RFC 6455 §5.1) before ws attaches to the socket, with
    // the options ws's own client would use (ws/lib/websocket.js initAsClient).
    const ws = new (
      WebSocket as unknown as new (
        address: null,
        protocols: undefined,
        options: { autoPong: boolean; closeTimeout: number },
      ) => WebSocket
    )(null, undefined, { autoPong: true, closeTimeout: this.#tuning.closeTimeoutMs });
    (ws as unknown as { _isServer: boolean })._isServer = false;
    const setSocket = (
      ws as unknown as {
        setSocket(s: Socket, head: Buffer, o: Record<string, unknown>): void;
      }
    ).setSocket.bind(ws);
    this.#handshake(ws, codec, () => outcome.socket, timeoutMs);
    setSocket(outcome.socket, outcome.head, {
      allowSynchronousEvents: true,
      maxBufferedChunks: 256 * 1024,
      maxFragments: 16 * 1024,
      maxPayload: this.#tuning.limits.maxFrameBytes,
      skipUTF8Validation: false,
    });
    outcome.socket.resume();
    ws.send(codec.encode(this.#hello));
  }

  /**
   * hello/welcome on an upgraded (or upgrading) WebSocket, with the connect timeout; adopts the
   * Link on a good welcome, counts the attempt as lost otherwise.
   */
  #handshake(
    ws: WebSocket,
    codec: Codec,
    socketOf: () => Socket | undefined,
    timeoutMs: number,
  ): { fail: (err: WireError, isFatal: boolean) => void } {
    const o = this.#o;
    this.#ws = ws;
    let failure: WireError | undefined;
    let fatal = false;
    let link: Link | undefined;
    const fail = (err: WireError, isFatal: boolean): void => {
      failure ??= err;
      fatal ||= isFatal;
    };
    const welcomeTimer = setTimeout(
      () => {
        fail(new WireError("E_TIMEOUT", "no welcome in time"), false);
        ws.terminate();
      },
      Math.max(0, timeoutMs),
    );
    welcomeTimer.unref();

    ws.on("error", (e) =>
      fail(new WireError("E_CLOSED", `connection failed: ${e.message}`), false),
    );
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
        socket: socketOf(),
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
    return { fail };
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

/** How an HTTP answer other than 101 to the upgrade counts: 401 is final (the token is bad). */
function refusedError(status: number): { error: WireError; fatal: boolean } {
  return status === 401
    ? { error: new WireError("E_AUTH", "server refused the token (HTTP 401)"), fatal: true }
    : {
        error: new WireError("E_CLOSED", `server answered HTTP ${status} to the upgrade`),
        fatal: false,
      };
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
