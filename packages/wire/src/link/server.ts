import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type ServerOptions, type WebSocket, WebSocketServer } from "ws";
import type { MessageOf } from "../catalogue/registry.js";
import type { RoleName } from "../catalogue/routes.js";
import { Codec } from "../codec/codec.js";
import { CloseCode, WireError, type WireErrorCode } from "../errors.js";
import { Emitter } from "./emitter.js";
import { type HandledType, type Handler, HandlerTable } from "./handlers.js";
import {
  checkRange,
  closeReason,
  negotiateVersion,
  rawToBytes,
  SUPPORTED_VERSIONS,
  type VersionRange,
} from "./handshake.js";
import { Link } from "./link.js";
import {
  NODE_HEADER,
  parseBearer,
  ROLE_HEADER,
  type TokenRegistry,
  type TokenScope,
} from "./tokens.js";
import { type LinkTuning, type ResolvedTuning, resolveTuning } from "./tuning.js";

export interface LinkServerOptions extends LinkTuning {
  /** Interface to listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 (default) picks an ephemeral port; read it back from `server.port`. */
  port?: number;
  /** Who this server is, announced in `welcome`. */
  role: RoleName;
  node: string;
  /** Bearer tokens accepted at the upgrade, each scoped to one role and node. */
  tokens: TokenRegistry;
  versions?: VersionRange;
  /** Heartbeat interval announced to clients and used on both ends (0 disables). Default 5000. */
  heartbeatMs?: number;
  /** Time a client has to send `hello` after the upgrade. Default 5000. */
  handshakeTimeoutMs?: number;
}

/** A connection turned away, before the upgrade (HTTP status) or during the handshake. */
export interface RejectedConnection {
  readonly stage: "upgrade" | "handshake";
  readonly code: WireErrorCode;
  readonly message: string;
  /** HTTP status for upgrade rejections. */
  readonly status?: number;
  /** WebSocket close code for handshake rejections. */
  readonly closeCode?: number;
  readonly remote: string;
}

export interface LinkServerEvents {
  /** A client passed auth and the handshake. */
  link: [Link];
  rejected: [RejectedConnection];
}

/**
 * The accepting side of Links: an HTTP server that authenticates BEFORE the WebSocket upgrade
 * (HTTP 401 otherwise): the bearer token must be known and its scope must equal the identity the
 * upgrade request claims (x-vmrng-role / x-vmrng-node), so a guest's token used as another guest
 * never reaches a WebSocket. Then `hello` must claim the same identity again, versions are
 * negotiated, and each connection becomes a Link. Handlers registered here serve every connection.
 */
export class LinkServer extends Emitter<LinkServerEvents> {
  readonly handlers = new HandlerTable();
  readonly role: RoleName;
  readonly node: string;
  readonly heartbeatMs: number;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #tokens: TokenRegistry;
  readonly #tuning: ResolvedTuning;
  readonly #versions: VersionRange;
  readonly #handshakeTimeoutMs: number;
  readonly #links = new Set<Link>();
  readonly #handshaking = new Set<WebSocket>();
  readonly #sockets = new Set<Socket>();
  #closing = false;

  /** @internal use createLinkServer */
  constructor(options: LinkServerOptions) {
    super();
    this.role = options.role;
    this.node = options.node;
    this.#tokens = options.tokens;
    this.#tuning = resolveTuning(options);
    this.#versions = checkRange(options.versions ?? SUPPORTED_VERSIONS);
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000;
    // closeTimeout exists in ws 8.18+ but not yet in @types/ws.
    const wssOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.#tuning.limits.maxFrameBytes,
      closeTimeout: this.#tuning.closeTimeoutMs,
    };
    this.#wss = new WebSocketServer(wssOptions);
    this.#http = createServer((_req, res) => {
      res.writeHead(426, { Connection: "close", Upgrade: "websocket" }).end();
    });
    this.#http.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    this.#http.on("upgrade", this.#onUpgrade);
  }

  /** @internal */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(port, host, () => {
        this.#http.off("error", reject);
        resolve();
      });
    });
  }

  get host(): string {
    return (this.#http.address() as AddressInfo).address;
  }

  get port(): number {
    return (this.#http.address() as AddressInfo).port;
  }

  /** ws://host:port/ of this server. */
  get url(): string {
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `ws://${host}:${this.port}/`;
  }

  /** Connections that completed the handshake and are not closed. */
  get links(): ReadonlySet<Link> {
    return this.#links;
  }

  /** Registers a handler for every connection (a Link's own handler takes precedence). */
  handle<T extends HandledType>(t: T, handler: Handler<T>): this {
    this.handlers.set(t, handler);
    return this;
  }

  /** Closes every link (1001), stops listening and resolves once all sockets are gone. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    for (const ws of this.#handshaking) ws.terminate();
    for (const link of this.#links) link.close(CloseCode.GOING_AWAY, "server shutting down");
    // Links that do not finish the closing handshake in time are dropped with their sockets.
    const deadline = setTimeout(() => {
      for (const s of this.#sockets) s.destroy();
    }, this.#tuning.closeTimeoutMs);
    deadline.unref();
    this.#wss.close();
    await closed;
    clearTimeout(deadline);
  }

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy());
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (this.#closing) {
      rejectUpgrade(socket, 503, "Service Unavailable");
      return;
    }
    const scope = this.#tokens.verify(parseBearer(req.headers.authorization));
    const problem =
      req.headers.authorization === undefined
        ? "missing bearer token"
        : scope === undefined
          ? "invalid bearer token"
          : req.headers[ROLE_HEADER] !== scope.role || req.headers[NODE_HEADER] !== scope.node
            ? "claimed identity is outside the token's scope"
            : undefined;
    if (problem !== undefined || scope === undefined) {
      rejectUpgrade(socket, 401, "Unauthorized");
      this.emit("rejected", {
        stage: "upgrade",
        code: "E_AUTH",
        status: 401,
        message: problem ?? "",
        remote,
      });
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) =>
      this.#accept(ws, scope, remote, socket as Socket),
    );
  };

  /** Waits for `hello`, checks it against the token scope and versions, answers, makes a Link. */
  #accept(ws: WebSocket, scope: TokenScope, remote: string, socket: Socket): void {
    this.#handshaking.add(ws);
    const codec = new Codec(this.#tuning.limits);
    const refuse = (code: WireErrorCode, message: string, closeCode: number): void => {
      this.emit("rejected", { stage: "handshake", code, message, closeCode, remote });
      const refusal: MessageOf<"refusal"> = {
        t: "refusal",
        code,
        message: message.slice(0, 1024),
        minVersion: this.#versions.min,
        maxVersion: this.#versions.max,
      };
      ws.send(codec.encode(refusal));
      ws.close(closeCode, closeReason(message));
    };
    const timer = setTimeout(
      () => refuse("E_TIMEOUT", "no hello in time", CloseCode.HANDSHAKE_TIMEOUT),
      this.#handshakeTimeoutMs,
    );
    timer.unref();
    const onError = (): void => {}; // ws closes the socket itself after a protocol error
    const onEarlyClose = (): void => {
      clearTimeout(timer);
      this.#handshaking.delete(ws);
    };
    ws.on("error", onError);
    ws.once("close", onEarlyClose);
    ws.once("message", (data, isBinary) => {
      clearTimeout(timer);
      ws.off("close", onEarlyClose);
      this.#handshaking.delete(ws);
      let hello: MessageOf<"hello">;
      try {
        if (!isBinary) throw new WireError("E_DECODE", "text frames are not part of the protocol");
        const msg = codec.decode(rawToBytes(data));
        if (msg.t !== "hello") throw new WireError("E_INVALID", `expected hello, got ${msg.t}`);
        hello = msg;
      } catch (e) {
        const err = e instanceof WireError ? e : new WireError("E_DECODE", String(e));
        refuse(err.code, `bad hello: ${err.message}`, CloseCode.MALFORMED);
        return;
      }
      if (hello.role !== scope.role || hello.node !== scope.node) {
        refuse(
          "E_AUTH",
          `token is scoped to ${scope.role} ${scope.node}, hello claims ${hello.role} ${hello.node}`,
          CloseCode.AUTH,
        );
        return;
      }
      const version = negotiateVersion(this.#versions, {
        min: hello.minVersion,
        max: hello.maxVersion,
      });
      if (version === undefined) {
        refuse(
          "E_VERSION",
          `no common protocol version: server speaks ${this.#versions.min}..${this.#versions.max}, client ${hello.minVersion}..${hello.maxVersion}`,
          CloseCode.VERSION,
        );
        return;
      }
      ws.send(
        codec.encode({
          t: "welcome",
          version,
          role: this.role,
          node: this.node,
          heartbeatMs: this.heartbeatMs,
        }),
      );
      ws.off("error", onError);
      const link = new Link(ws, {
        codec,
        tuning: this.#tuning,
        local: { role: this.role, node: this.node },
        peer: { role: scope.role, node: scope.node },
        version,
        heartbeatMs: this.heartbeatMs,
        handlers: new HandlerTable(this.handlers),
        socket,
      });
      this.#links.add(link);
      link.once("close", () => this.#links.delete(link));
      if (this.#closing) link.close(CloseCode.GOING_AWAY, "server shutting down");
      else this.emit("link", link);
    });
  }
}

/** Starts a LinkServer listening on host:port (127.0.0.1:ephemeral by default). */
export async function createLinkServer(options: LinkServerOptions): Promise<LinkServer> {
  const server = new LinkServer(options);
  await server.listen(options.host ?? "127.0.0.1", options.port ?? 0);
  return server;
}

/** Answers the HTTP upgrade request with an error status and drops the socket (no upgrade). */
function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n` +
      (status === 401 ? "WWW-Authenticate: Bearer\r\n" : "") +
      "Content-Length: 0\r\n\r\n",
  );
}
