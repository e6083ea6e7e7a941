import { afterEach, describe, expect, it } from "vitest";
import type { Link, LinkClose, WireError } from "../src/index.js";
import { next, RawPeer, sleep, startLab, until } from "./helpers.js";
import { encodedSize, pair, usedMsg } from "./toxic-helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function closeOf(link: Link): Promise<{ info: LinkClose; at: number }> {
  return next<[LinkClose]>(link, "close", 5000).then(([info]) => ({
    info,
    at: performance.now(),
  }));
}

describe("toxics: timeout (blackhole)", () => {
  it("swallows everything, lets requests time out, and removal restores flow (swallowed stay lost)", async () => {
    const p = await pair(cleanup);
    p.hv.addToxic("hole", "send", { type: "timeout", timeoutMs: 0 });
    p.hv.send(usedMsg(1));
    // the hypervisor's reply is swallowed too: the guest's request times out
    const err = await p.guest.request({ t: "msr.rdmsr", index: 3 }, { timeoutMs: 200 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as WireError).code).toBe("E_TIMEOUT");
    expect(p.used).toHaveLength(0);
    expect(p.hv.removeToxic("hole")).toBe(true);
    p.hv.send(usedMsg(2));
    await until(() => p.used.length === 1);
    await sleep(30);
    expect(p.used.map((u) => u.desc)).toEqual([2]);
    const reply = await p.guest.request({ t: "msr.rdmsr", index: 3 }, { timeoutMs: 2000 });
    expect(reply).toMatchObject({ t: "msr.value", index: 3, value: 7n });
  });

  it("with timeoutMs ends the connection after that long: 1006 on both sides, no close frame", async () => {
    const p = await pair(cleanup);
    const hvClosed = closeOf(p.hv);
    const guestClosed = closeOf(p.guest);
    const start = performance.now();
    p.hv.addToxic("hole", "receive", { type: "timeout", timeoutMs: 150 });
    p.guest.send({ t: "virtio.avail", desc: 1, len: 8 });
    const hv = await hvClosed;
    const guest = await guestClosed;
    expect(hv.at - start).toBeGreaterThanOrEqual(150);
    expect(hv.info).toEqual({
      code: 1006,
      reason: "toxic hole: timeout after 150 ms",
      byPeer: false,
    });
    expect(guest.info).toEqual({ code: 1006, reason: "", byPeer: true });
    expect(p.avail).toEqual([]);
  });

  it("a receive blackhole swallows the peer's pings: the peer's heartbeat finds the link dead", async () => {
    const p = await pair(cleanup, { heartbeatMs: 100 });
    const hvClosed = closeOf(p.hv);
    p.guest.addToxic("hole", "receive", { type: "timeout", timeoutMs: 0 });
    const { info } = await hvClosed;
    expect(info.code).toBe(4408);
  });

  it("a send blackhole swallows our pongs and pings: both heartbeats find the link dead", async () => {
    const p = await pair(cleanup, { heartbeatMs: 100 });
    const hvClosed = closeOf(p.hv);
    const guestClosed = closeOf(p.guest);
    p.guest.addToxic("hole", "send", { type: "timeout", timeoutMs: 0 });
    expect((await hvClosed).info.code).toBe(4408);
    // The guest's own pings are swallowed too, so it cannot hear back either; the hypervisor's
    // termination may reach it first, so either ending is a dead-link ending.
    expect([4408, 1006]).toContain((await guestClosed).info.code);
  });

  it("without a blackhole, the same heartbeat keeps the link up (control)", async () => {
    const p = await pair(cleanup, { heartbeatMs: 100 });
    p.guest.addToxic("slow", "receive", { type: "latency", latencyMs: 10, jitterMs: 0 });
    p.guest.addToxic("hole", "send", { type: "timeout", timeoutMs: 0 });
    p.guest.removeToxic("hole");
    await sleep(500);
    expect(p.hv.state).toBe("open");
    expect(p.guest.state).toBe("open");
  });
});

describe("toxics: reset_peer, limit_data, slow_close", () => {
  it("reset_peer destroys the socket with an RST: the peer reads ECONNRESET and closes 1006", async () => {
    const lab = await startLab({}, cleanup);
    const hvP = next<[Link]>(lab.server, "link");
    const raw = new RawPeer(lab.server.url, lab.guestToken, "guest", "vm-1");
    cleanup.push(() => raw.close());
    const socketErrors: string[] = [];
    raw.ws.once("upgrade", (res) => {
      res.socket.on("error", (e: NodeJS.ErrnoException) => socketErrors.push(e.code ?? "?"));
    });
    await next(raw.ws, "open");
    raw.sendMsg({
      t: "hello",
      minVersion: 1,
      maxVersion: 1,
      role: "guest",
      node: "vm-1",
      software: "raw-test-peer",
    });
    const [hv] = await hvP;
    await raw.waitFor((m) => m.t === "welcome");
    const hvClosed = closeOf(hv);
    const start = performance.now();
    hv.addToxic("rst", "send", { type: "reset_peer", timeoutMs: 50 });
    expect(await raw.closed).toBe(1006);
    expect(performance.now() - start).toBeGreaterThanOrEqual(50);
    expect(socketErrors).toEqual(["ECONNRESET"]);
    expect((await hvClosed).info).toEqual({
      code: 1006,
      reason: "toxic rst: reset_peer",
      byPeer: false,
    });
  });

  it("reset_peer between two Links: the peer Link sees an abnormal close (1006)", async () => {
    const p = await pair(cleanup);
    const guestClosed = closeOf(p.guest);
    p.hv.addToxic("rst", "receive", { type: "reset_peer", timeoutMs: 0 });
    expect((await guestClosed).info).toEqual({ code: 1006, reason: "", byPeer: true });
  });

  it("limit_data ends the connection once the byte budget has passed", async () => {
    const p = await pair(cleanup);
    const size = encodedSize(usedMsg(0, 100));
    const hvClosed = closeOf(p.hv);
    const guestClosed = closeOf(p.guest);
    p.hv.addToxic("cap", "send", { type: "limit_data", bytes: 3 * size });
    for (let i = 0; i < 5; i++) {
      if (p.hv.state === "open") p.hv.send(usedMsg(i, 100));
    }
    expect((await hvClosed).info).toEqual({
      code: 1006,
      reason: `toxic cap: limit_data ${3 * size} bytes reached`,
      byPeer: false,
    });
    expect((await guestClosed).info.code).toBe(1006);
    // the three frames within the budget were flushed before the FIN
    expect(p.used.map((u) => u.desc)).toEqual([0, 1, 2]);
  });

  it("limit_data drops the message that would cross the budget and ends the connection", async () => {
    const p = await pair(cleanup);
    const size = encodedSize({ t: "virtio.avail", desc: 0, len: 8 });
    const guestClosed = closeOf(p.guest);
    p.hv.addToxic("cap", "receive", { type: "limit_data", bytes: 2 * size + 1 });
    for (let i = 0; i < 4; i++) p.guest.send({ t: "virtio.avail", desc: i, len: 8 });
    expect((await guestClosed).info.code).toBe(1006);
    expect(p.avail).toEqual([0, 1]);
  });

  it("slow_close on send holds our close frame back by delayMs", async () => {
    const p = await pair(cleanup);
    const guestClosed = closeOf(p.guest);
    p.hv.addToxic("slow", "send", { type: "slow_close", delayMs: 250 });
    p.hv.send(usedMsg(1)); // data still flows
    await until(() => p.used.length === 1);
    const start = performance.now();
    p.hv.close(1000, "bye");
    expect(p.hv.state).toBe("closing");
    const guest = await guestClosed;
    expect(guest.at - start).toBeGreaterThanOrEqual(250);
    expect(guest.info).toEqual({ code: 1000, reason: "bye", byPeer: true });
  });

  it("slow_close on receive delays this side's handling of the peer's close frame", async () => {
    const p = await pair(cleanup);
    const guestClosed = closeOf(p.guest);
    p.guest.addToxic("slow", "receive", { type: "slow_close", delayMs: 250 });
    const start = performance.now();
    p.hv.close(1000, "bye");
    await sleep(100);
    expect(p.guest.state).toBe("open"); // the close frame arrived but is held
    const guest = await guestClosed;
    expect(guest.at - start).toBeGreaterThanOrEqual(250);
    expect(guest.info).toEqual({ code: 1000, reason: "bye", byPeer: true });
  });
});
