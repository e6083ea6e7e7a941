import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { Clock } from "@vmrng/crng";
import { RateLimiter, type RateLimiterConfig } from "@vmrng/devices";
import type { EgdStatus } from "@vmrng/wire";
import { EgdAccounting } from "./accounting.js";
import { EgdClientGenerator } from "./client-generator.js";
import { EgdConnection, type EgdLog } from "./connection.js";
import { EgdError } from "./errors.js";
import type { EgdEntropyPool } from "./pool.js";
import { EgdSession } from "./session.js";

export interface EgdServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Also listen on this Unix socket (absolute path), mode 0600. */
  socketPath?: string;
  /** Per-client limiter (a fresh one for every connection). */
  rateLimit: RateLimiterConfig;
  maxClients: number;
  pool: EgdEntropyPool;
  /** What 0x04 answers. */
  pid: number;
  clock: Clock;
  log: EgdLog;
  requestTimeoutMs?: number;
  stallTimeoutMs?: number;
  turnRequests?: number;
}

/** sun_path is 108 bytes on Linux, NUL included. */
const MAX_SOCKET_PATH = 107;

/**
 * The host's EGD server: a TCP listener on 127.0.0.1 and optionally a Unix socket, one
 * EgdSession per client, each with its own generator and rate limiter. A client's bad input
 * or stalled reading closes that client only, with a log line.
 */
export class EgdServer {
  readonly accounting = new EgdAccounting();
  private readonly listeners: Server[] = [];
  private readonly connections = new Set<EgdConnection>();
  private unixClients = 0;
  private tcpPort = 0;

  private constructor(private readonly o: EgdServerOptions) {}

  static async start(o: EgdServerOptions): Promise<EgdServer> {
    const s = new EgdServer(o);
    try {
      const tcp = s.listener("tcp");
      await listen(tcp, { port: o.port, host: "127.0.0.1" }, `127.0.0.1:${o.port}`);
      const addr = tcp.address();
      s.tcpPort = typeof addr === "object" && addr ? addr.port : o.port;
      if (o.socketPath !== undefined) {
        await clearStaleSocket(o.socketPath);
        const unix = s.listener("unix");
        await listen(unix, { path: o.socketPath }, o.socketPath);
        chmodSync(o.socketPath, 0o600);
      }
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  get port(): number {
    return this.tcpPort;
  }

  get socketPath(): string | undefined {
    return this.o.socketPath;
  }

  get clientCount(): number {
    return this.connections.size;
  }

  status(): EgdStatus {
    return this.accounting.status(this.o.clock.now(), {
      port: this.tcpPort,
      ...(this.o.socketPath === undefined ? {} : { socketPath: this.o.socketPath }),
    });
  }

  /** Per client, the bytes it holds in host memory (bounded; see EgdConnection). */
  backlog(): { client: string; unparsed: number; unsent: number }[] {
    return [...this.connections].map((c) => c.backlog());
  }

  /** Stops listening and closes every client. */
  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await Promise.all(
      this.listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))),
    );
    if (this.o.socketPath !== undefined && this.listeners.length > 1) {
      try {
        unlinkSync(this.o.socketPath);
      } catch {}
    }
  }

  private listener(kind: "tcp" | "unix"): Server {
    // allowHalfOpen: a client may send its requests and shut down its side; it still gets
    // every reply before the host closes.
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      this.accept(socket, kind),
    );
    server.on("error", (err) => this.o.log("warn", `listener error: ${err.message}`));
    this.listeners.push(server);
    return server;
  }

  private accept(socket: Socket, kind: "tcp" | "unix"): void {
    const label =
      kind === "tcp"
        ? `tcp ${socket.remoteAddress}:${socket.remotePort}`
        : `unix #${++this.unixClients}`;
    if (this.connections.size >= this.o.maxClients) {
      const err = new EgdError(
        "E_EGD_TOO_MANY_CLIENTS",
        `${this.connections.size} clients already (host.egd.maxClients)`,
      );
      this.o.log("warn", `${label}: ${err.message}; closing the connection (${err.code})`);
      this.accounting.connections += 1n;
      this.accounting.dropped += 1n;
      socket.on("error", () => {});
      socket.destroy();
      return;
    }
    const now = this.o.clock.now();
    const account = this.accounting.connect(label, now);
    const session = new EgdSession({
      pool: this.o.pool,
      generator: new EgdClientGenerator(this.o.pool),
      limiter: new RateLimiter(this.o.rateLimit, this.o.clock),
      account,
      pid: this.o.pid,
      clock: this.o.clock,
    });
    const conn = new EgdConnection(socket, session, label, {
      requestTimeoutMs: this.o.requestTimeoutMs ?? 10_000,
      stallTimeoutMs: this.o.stallTimeoutMs ?? 30_000,
      turnRequests: this.o.turnRequests ?? 1024,
      log: this.o.log,
      onClose: (dropped) => {
        this.connections.delete(conn);
        this.accounting.disconnect(account, dropped);
        this.o.log(
          "info",
          `${label} closed after ${account.requests} requests, ${account.bytes} bytes`,
        );
      },
    });
    this.connections.add(conn);
    this.o.log("info", `${label} connected`);
  }
}

function listen(
  server: Server,
  where: { port: number; host: string } | { path: string },
  name: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(new EgdError("E_EGD_CONFIG", `cannot listen on ${name}: ${err.message}`));
    server.once("error", onError);
    server.listen(where, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/**
 * A socket file left by a host that died is removed; a live one (something answers) or any
 * other kind of file is an error, never clobbered.
 */
async function clearStaleSocket(path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
    throw new EgdError(
      "E_EGD_CONFIG",
      `Unix socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes (sun_path)`,
    );
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new EgdError("E_EGD_CONFIG", `${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new EgdError("E_EGD_CONFIG", `${path} is in use by another EGD server`);
  unlinkSync(path);
}
