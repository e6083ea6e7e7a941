import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { NODE_HEADER, ROLE_HEADER } from "./headers.js";

/**
 * The client half of the WebSocket opening handshake (RFC 6455 §4.1) for ws:// URLs, written
 * straight on a TCP socket instead of through node:http: a process that must start fast (a
 * guest) neither loads node:http nor builds a ClientRequest, and can put the request on the wire
 * before it has loaded the rest of its code, so the server authenticates it (bearer token, 401
 * before the upgrade) while the client is still starting. This module imports nothing but
 * node:net and node:crypto for that reason. The upgraded socket is handed to ws (client.ts).
 */

/** RFC 6455 §1.3: appended to Sec-WebSocket-Key, SHA-1 + base64 gives Sec-WebSocket-Accept. */
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** A 101 from a LinkServer is a few hundred bytes; anything this long is not one. */
const MAX_RESPONSE_HEAD = 16 * 1024;

export interface UpgradeTarget {
  /** ws://host:port/path of a LinkServer. */
  url: string;
  token: string;
  role: string;
  node: string;
  /** The whole handshake (TCP connect → 101) must be done within this. */
  timeoutMs: number;
}

export type UpgradeOutcome =
  /** 101 with the right Sec-WebSocket-Accept; `head` holds bytes that came after it (frames). */
  | { kind: "upgraded"; socket: Socket; head: Buffer }
  /** The server answered with another status (401: the token was refused). */
  | { kind: "refused"; status: number }
  /** No usable answer: connect error, reset, timeout, malformed response. */
  | { kind: "failed"; message: string };

export interface PendingUpgrade {
  /** Resolves when the TCP connection is up or has failed (the request is then on its way). */
  readonly dialed: Promise<void>;
  readonly result: Promise<UpgradeOutcome>;
  /** Gives up: destroys the socket; `result` resolves as failed unless already settled. */
  abort(reason: string): void;
}

/** Connects to `target.url` and sends the upgrade request at once (net queues it until connected). */
export function startUpgrade(target: UpgradeTarget): PendingUpgrade {
  const url = new URL(target.url);
  if (url.protocol !== "ws:")
    throw new TypeError(`startUpgrade needs a ws:// URL, got ${url.protocol}`);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = Number(url.port || 80);
  const key = randomBytes(16).toString("base64");
  const expectedAccept = createHash("sha1")
    .update(key + WS_GUID)
    .digest("base64");
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  socket.write(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\n` +
      `Host: ${url.host}\r\n` +
      "Connection: Upgrade\r\n" +
      "Upgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\n" +
      `Sec-WebSocket-Key: ${key}\r\n` +
      `Authorization: Bearer ${target.token}\r\n` +
      `${ROLE_HEADER}: ${target.role}\r\n` +
      `${NODE_HEADER}: ${target.node}\r\n\r\n`,
  );

  let settle!: (o: UpgradeOutcome) => void;
  let settled = false;
  const result = new Promise<UpgradeOutcome>((resolve) => {
    settle = (o) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      if (o.kind !== "upgraded") {
        socket.on("error", () => {}); // late errors of a socket we are done with
        socket.destroy();
      }
      resolve(o);
    };
  });
  let markDialed!: () => void;
  const dialed = new Promise<void>((resolve) => {
    markDialed = resolve;
  });
  socket.once("connect", () => markDialed());

  let received: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const end = received.indexOf("\r\n\r\n");
    if (end === -1) {
      if (received.length > MAX_RESPONSE_HEAD) settle(failed("oversized response head"));
      return;
    }
    const lines = received.subarray(0, end).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.1 (\d{3})(?: |$)/.exec(lines[0] ?? "");
    if (status === null) {
      settle(failed(`malformed status line ${JSON.stringify((lines[0] ?? "").slice(0, 64))}`));
      return;
    }
    const code = Number(status[1]);
    if (code !== 101) {
      settle({ kind: "refused", status: code });
      return;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) {
        settle(failed("malformed header line"));
        return;
      }
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    // §4.1 steps 2-6 of the client's checks on the server's handshake.
    if (headers.get("upgrade")?.toLowerCase() !== "websocket") {
      settle(failed("invalid Upgrade header"));
    } else if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get("connection") ?? "")) {
      settle(failed("invalid Connection header"));
    } else if (headers.get("sec-websocket-accept") !== expectedAccept) {
      settle(failed("invalid Sec-WebSocket-Accept header"));
    } else if (headers.has("sec-websocket-extensions") || headers.has("sec-websocket-protocol")) {
      settle(failed("the server chose an extension or subprotocol that was not offered"));
    } else {
      socket.pause(); // ws resumes it once its own listeners are attached
      settle({ kind: "upgraded", socket, head: received.subarray(end + 4) });
    }
  };
  const onError = (err: Error): void => {
    markDialed();
    settle(failed(err.message));
  };
  const onClose = (): void => {
    markDialed();
    settle(failed("connection closed before the upgrade completed"));
  };
  socket.on("data", onData);
  socket.on("error", onError);
  socket.on("close", onClose);
  const timer = setTimeout(() => settle(failed("no upgrade in time")), target.timeoutMs);
  timer.unref();

  return {
    dialed,
    result,
    abort: (reason) => {
      markDialed();
      settle(failed(reason));
    },
  };
}

function failed(message: string): UpgradeOutcome {
  return { kind: "failed", message };
}
