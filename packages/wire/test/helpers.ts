import { WebSocket } from "ws";
import {
  Codec,
  type ConnectOptions,
  connectLink,
  createLinkServer,
  type Link,
  type LinkClient,
  type LinkServer,
  type LinkServerOptions,
  type Message,
  NODE_HEADER,
  ROLE_HEADER,
  type RoleName,
  TokenRegistry,
} from "../src/index.js";

export interface Lab {
  tokens: TokenRegistry;
  server: LinkServer;
  /** Token of guest vm-1 (the server is hypervisor hv-1). */
  guestToken: string;
  cleanup: (() => Promise<void> | void)[];
}

/** A hypervisor-role server on 127.0.0.1:0 with a token for guest vm-1. */
export async function startLab(
  options: Partial<LinkServerOptions> = {},
  cleanup: (() => Promise<void> | void)[] = [],
): Promise<Lab> {
  const tokens = options.tokens ?? new TokenRegistry();
  const guestToken = tokens.issue({ role: "guest", node: "vm-1" });
  const server = await createLinkServer({ role: "hypervisor", node: "hv-1", tokens, ...options });
  cleanup.push(() => server.close());
  return { tokens, server, guestToken, cleanup };
}

export function connectGuest(lab: Lab, options: Partial<ConnectOptions> = {}): LinkClient {
  const client = connectLink({
    url: lab.server.url,
    token: lab.guestToken,
    role: "guest",
    node: "vm-1",
    ...options,
  });
  lab.cleanup.push(() => client.close());
  return client;
}

/** Resolves with the arguments of the next `event` on an emitter (ours or a Node one). */
export function next<A extends unknown[]>(
  // biome-ignore lint/suspicious/noExplicitAny: accepts Node emitters and our typed ones alike
  emitter: { once(event: string, fn: (...args: any[]) => void): unknown },
  event: string,
  timeoutMs = 5000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${event} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as A);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until true or the deadline passes. */
export async function until(
  cond: () => boolean,
  timeoutMs = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * A bare ws client that authenticates and handshakes by hand, then lets a test send arbitrary
 * bytes: the hostile or broken peer the Link must survive.
 */
export class RawPeer {
  readonly ws: WebSocket;
  readonly codec = new Codec();
  readonly received: Message[] = [];
  /** Anything the server sent that failed to decode (must stay empty). */
  readonly undecodable: unknown[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  constructor(
    url: string,
    token: string | undefined,
    role: RoleName,
    node: string,
    wsOptions: object = {},
  ) {
    const headers: Record<string, string> = { [ROLE_HEADER]: role, [NODE_HEADER]: node };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false, ...wsOptions });
    this.ws.on("error", () => {});
    this.ws.on("message", (data: Buffer) => {
      try {
        this.received.push(this.codec.decode(data));
      } catch (e) {
        this.undecodable.push(e);
      }
    });
    this.closed = new Promise((resolve) =>
      this.ws.once("close", (code: number) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async open(
    lab: Lab,
    options: { role?: RoleName; node?: string; hello?: Partial<Message>; wsOptions?: object } = {},
  ): Promise<RawPeer> {
    const peer = new RawPeer(
      lab.server.url,
      lab.guestToken,
      options.role ?? "guest",
      options.node ?? "vm-1",
      options.wsOptions,
    );
    await next(peer.ws, "open");
    peer.sendMsg({
      t: "hello",
      minVersion: 1,
      maxVersion: 1,
      role: "guest",
      node: "vm-1",
      software: "raw-test-peer",
      ...options.hello,
    } as Message);
    await until(() => peer.received.length > 0 || peer.closeCode !== undefined, 5000, "welcome");
    return peer;
  }

  sendMsg(msg: Message): void {
    this.ws.send(this.codec.encode(msg));
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** Waits until a received message satisfies `pred`, and returns it. */
  async waitFor(pred: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
    let found: Message | undefined;
    await until(
      () => {
        found = this.received.find(pred);
        return found !== undefined;
      },
      timeoutMs,
      "message",
    );
    return found!;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The Link the server made for the next accepted connection. */
export function nextLink(server: LinkServer): Promise<Link> {
  return next<[Link]>(server, "link").then(([l]) => l);
}
