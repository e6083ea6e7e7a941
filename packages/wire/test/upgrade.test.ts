import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Link, startUpgrade, type UpgradeOutcome } from "../src/index.js";
import { connectGuest, next, startLab } from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A TCP server that answers every request head with `answer(head)` (a fake LinkServer). */
async function fakeServer(
  answer: (head: string) => string,
): Promise<{ url: string; heads: string[] }> {
  const heads: string[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    let got = "";
    s.on("data", (d) => {
      got += d.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      if (end === -1) return;
      heads.push(got.slice(0, end));
      s.write(answer(got.slice(0, end)));
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const port = (server.address() as { port: number }).port;
  return { url: `ws://127.0.0.1:${port}/`, heads };
}

const target = (url: string, token = "t".repeat(43)) => ({
  url,
  token,
  role: "guest",
  node: "vm-1",
  timeoutMs: 2000,
});

describe("raw upgrade client (RFC 6455 §4.1)", () => {
  it("sends the key, version, bearer token and claimed identity, and upgrades on a real LinkServer", async () => {
    const lab = await startLab({}, cleanup);
    const pending = startUpgrade(target(lab.server.url, lab.guestToken));
    await pending.dialed;
    const outcome = await pending.result;
    expect(outcome.kind).toBe("upgraded");
    if (outcome.kind === "upgraded") outcome.socket.destroy();
  });

  it("reports the status of a refused upgrade: 401 for a wrong token, before any upgrade", async () => {
    const lab = await startLab({}, cleanup);
    const rejected: number[] = [];
    lab.server.on("rejected", (r) => rejected.push(r.status ?? 0));
    const outcome = await startUpgrade(target(lab.server.url, "x".repeat(43))).result;
    expect(outcome).toEqual({ kind: "refused", status: 401 });
    expect(rejected).toEqual([401]);
  });

  it("writes the request head exactly, with the identity headers the server checks", async () => {
    const fake = await fakeServer(() => "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    const outcome = await startUpgrade(target(fake.url)).result;
    expect(outcome).toEqual({ kind: "refused", status: 403 });
    const lines = fake.heads[0]!.split("\r\n");
    expect(lines[0]).toBe("GET / HTTP/1.1");
    expect(lines).toContain("Upgrade: websocket");
    expect(lines).toContain("Connection: Upgrade");
    expect(lines).toContain("Sec-WebSocket-Version: 13");
    expect(lines).toContain(`Authorization: Bearer ${"t".repeat(43)}`);
    expect(lines).toContain("x-vmrng-role: guest");
    expect(lines).toContain("x-vmrng-node: vm-1");
    const key = lines.find((l) => l.startsWith("Sec-WebSocket-Key: "))!.slice(19);
    expect(Buffer.from(key, "base64")).toHaveLength(16);
  });

  it.each([
    [
      "a wrong Sec-WebSocket-Accept",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
      /Sec-WebSocket-Accept/,
    ],
    [
      "no Upgrade header",
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
      /Upgrade header/,
    ],
    ["a status line that is not HTTP/1.1", "SSH-2.0-OpenSSH_9.6\r\n\r\n", /malformed status line/],
  ])("fails on %s", async (_what, answer, message) => {
    const fake = await fakeServer(() => answer);
    const outcome: UpgradeOutcome = await startUpgrade(target(fake.url)).result;
    expect(outcome.kind).toBe("failed");
    expect(outcome.kind === "failed" && outcome.message).toMatch(message);
  });

  it("fails when nobody listens, and when aborted", async () => {
    const fake = await fakeServer(() => "");
    const silent = startUpgrade(target(fake.url));
    silent.abort("test gave up");
    expect(await silent.result).toEqual({ kind: "failed", message: "test gave up" });
    const lab = await startLab({}, cleanup);
    const port = Number(new URL(lab.server.url).port);
    await lab.server.close();
    const refused = await startUpgrade(target(`ws://127.0.0.1:${port}/`)).result;
    expect(refused.kind).toBe("failed");
  });

  it("hands a started upgrade to connectLink, which uses it for its first Link and dials afresh after", async () => {
    const lab = await startLab({}, cleanup);
    lab.server.handle("echo", (m) => ({ t: "echo.reply", data: m.data }));
    const first = startUpgrade(target(lab.server.url, lab.guestToken));
    const links: Link[] = [];
    lab.server.on("link", (l) => links.push(l));
    const client = connectGuest(lab, {
      firstUpgrade: first,
      reconnect: { initialMs: 10, maxMs: 10 },
    });
    const link = await client.opened();
    const firstOutcome = await first.result;
    // The Link runs on the very socket the early upgrade opened.
    expect(firstOutcome.kind === "upgraded" && link.stats !== undefined).toBe(true);
    expect(links).toHaveLength(1);
    const reply = await link.request({ t: "echo", data: new Uint8Array([1, 2, 3]) });
    expect(reply.data).toEqual(new Uint8Array([1, 2, 3]));
    // Lost link: the client reconnects on a new connection of its own.
    const [serverSide] = links;
    serverSide!.close(1001, "restart");
    await next(client, "link");
    expect(links).toHaveLength(2);
    expect(client.link).not.toBe(link);
  });
});

describe("Link.flush", () => {
  it("puts a frame held by this tick's write coalescing on the socket at once", async () => {
    const lab = await startLab({}, cleanup);
    const first = startUpgrade(target(lab.server.url, lab.guestToken));
    const client = connectGuest(lab, { firstUpgrade: first });
    const link = await client.opened();
    const outcome = await first.result;
    if (outcome.kind !== "upgraded") throw new Error(`not upgraded: ${outcome.kind}`);
    const socket = outcome.socket;
    const line = { t: "log.line", node: "vm-1", vtimeMs: 0, level: 5, text: "x" } as const;
    link.send(line);
    expect(socket.writableCorked).toBe(1); // held until the end of this tick
    expect(socket.writableLength).toBeGreaterThan(0);
    link.flush();
    expect(socket.writableCorked).toBe(0);
    expect(socket.writableLength).toBe(0); // handed to the kernel (loopback takes it at once)
    link.flush(); // nothing held: a no-op
    expect(socket.writableCorked).toBe(0);
  });
});
