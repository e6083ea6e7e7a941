import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { Codec, connectLink, type Link, type LinkClose, TokenRegistry } from "../src/index.js";
import { connectGuest, next, nextLink, RawPeer, sleep, startLab } from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const INTERVAL = 100;
// Timers on a loaded 2-core machine: allow generous slack above the two-interval bound.
const SLACK = 150;

describe("heartbeat", () => {
  it("terminates a peer that stops answering pings within two intervals", async () => {
    const lab = await startLab({ heartbeatMs: INTERVAL }, cleanup);
    const linkP = nextLink(lab.server);
    // autoPong off: this peer reads frames but never answers a ping
    const raw = await RawPeer.open(lab, { wsOptions: { autoPong: false } });
    const link = await linkP;
    const silentFrom = Date.now();
    const [info] = await next<[LinkClose]>(link, "close", 2000);
    const elapsed = Date.now() - silentFrom;
    expect(info).toEqual({
      code: 4408,
      reason: "heartbeat timeout: peer silent for two intervals",
      byPeer: false,
    });
    expect(elapsed).toBeLessThanOrEqual(2 * INTERVAL + SLACK);
    expect(elapsed).toBeGreaterThanOrEqual(INTERVAL);
    expect(await raw.closed).toBe(1006); // dropped, no close frame
  });

  it("keeps a peer that answers pings for many intervals", async () => {
    const lab = await startLab({ heartbeatMs: INTERVAL }, cleanup);
    const linkP = nextLink(lab.server);
    const client = connectGuest(lab);
    const clientLink = await client.opened();
    const serverLink = await linkP;
    expect(clientLink.heartbeatMs).toBe(INTERVAL); // adopted from welcome
    await sleep(6 * INTERVAL);
    expect(serverLink.state).toBe("open");
    expect(clientLink.state).toBe("open");
  });

  it("lets a client detect a silent server the same way", async () => {
    // A hand-made server that handshakes, then never answers pings.
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, autoPong: false } as never);
    cleanup.push(() => new Promise<void>((r) => wss.close(() => r())));
    await next(wss, "listening");
    const codec = new Codec();
    wss.on("connection", (ws) => {
      ws.once("message", () => {
        ws.send(
          codec.encode({
            t: "welcome",
            version: 1,
            role: "hypervisor",
            node: "hv-x",
            heartbeatMs: INTERVAL,
          }),
        );
      });
      cleanup.push(() => ws.terminate());
    });
    const tokens = new TokenRegistry();
    const client = connectLink({
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
      token: tokens.issue({ role: "guest", node: "vm-1" }),
      role: "guest",
      node: "vm-1",
      reconnect: false,
    });
    cleanup.push(() => client.close());
    const link: Link = await client.opened();
    const start = Date.now();
    const [info] = await next<[LinkClose]>(link, "close", 2000);
    expect(info.code).toBe(4408);
    expect(Date.now() - start).toBeLessThanOrEqual(2 * INTERVAL + SLACK);
    await sleep(10);
    expect(client.state).toBe("closed");
  });
});
