import { afterEach, describe, expect, it } from "vitest";
import {
  backoffDelay,
  type ClientStateChange,
  createLinkServer,
  DEFAULT_BACKOFF,
  type Link,
  TokenRegistry,
  type WireError,
} from "../src/index.js";
import { connectGuest, next, sleep, startLab, until } from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe("backoff", () => {
  it("grows exponentially to the cap, with jitter taking at most `jitter` of the delay", () => {
    const o = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, o, () => 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, o, () => 0.999999))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect(backoffDelay(2, o, () => 0.5)).toBe(300);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(DEFAULT_BACKOFF.initialMs);
  });
});

describe("reconnect", () => {
  it("reconnects after the server restarts on the same port, with deterministic backoff", async () => {
    const tokens = new TokenRegistry();
    const lab = await startLab({ tokens }, cleanup);
    const port = lab.server.port;
    lab.server.handle("echo", (m) => ({ t: "echo.reply", data: m.data }));
    const backoff = { initialMs: 40, maxMs: 160, factor: 2, jitter: 0.5 };
    const client = connectGuest(lab, { reconnect: backoff, random: () => 0.5 });
    const states: ClientStateChange[] = [];
    client.on("state", (s) => states.push(s));
    // handlers registered on the client survive reconnects
    client.handle("vmgenid.notify", () => {});
    client.handle("guest.save", () => ({
      t: "guest.state",
      state: new Uint8Array([7]),
      vtimeMs: 1,
    }));
    await client.opened();
    expect((await client.request({ t: "echo", data: new Uint8Array([1]) })).data).toEqual(
      new Uint8Array([1]),
    );

    await lab.server.close();
    await until(() => states.some((s) => s.state === "reconnecting"), 2000, "reconnecting");
    // requests fail fast while there is no link
    const err = await client
      .request({ t: "echo", data: new Uint8Array(1) })
      .catch((e: unknown) => e);
    expect((err as WireError).code).toBe("E_CLOSED");
    // let a few attempts fail against the closed port
    await until(
      () => states.filter((s) => s.state === "reconnecting").length >= 3,
      3000,
      "retries",
    );

    const server2 = await createLinkServer({ role: "hypervisor", node: "hv-1", tokens, port });
    cleanup.push(() => server2.close());
    server2.handle("echo", (m) => ({ t: "echo.reply", data: m.data.map((b) => b + 1) }));
    const linkOnServer = next<[Link]>(server2, "link", 5000);
    await until(() => client.state === "open", 5000, "reopen");
    expect((await client.request({ t: "echo", data: new Uint8Array([1]) })).data).toEqual(
      new Uint8Array([2]),
    );
    const [serverLink] = await linkOnServer;
    expect(await serverLink.request({ t: "guest.save" })).toMatchObject({
      t: "guest.state",
      state: new Uint8Array([7]),
    });

    const delays = states.filter((s) => s.state === "reconnecting").map((s) => s.delayMs);
    // random()=0.5, jitter 0.5 → 75% of 40, 80, 160, 160, ...
    expect(delays.slice(0, 3)).toEqual([30, 60, 120]);
    expect(delays.every((d) => d !== undefined && d <= 160)).toBe(true);
    const kinds = states.map((s) => s.state);
    expect(kinds.slice(0, 3)).toEqual(["connecting", "open", "reconnecting"]);
    expect(kinds.at(-1)).toBe("open");
    expect(kinds.filter((k) => k === "connecting").length).toBeGreaterThanOrEqual(3);
  });

  it("retries a server that is not up yet, then connects", async () => {
    const tokens = new TokenRegistry();
    const placeholder = await createLinkServer({ role: "hypervisor", node: "hv-1", tokens });
    const port = placeholder.port;
    await placeholder.close(); // a free port nobody listens on
    const token = tokens.issue({ role: "guest", node: "vm-1" });
    const { connectLink } = await import("../src/index.js");
    const client = connectLink({
      url: `ws://127.0.0.1:${port}/`,
      token,
      role: "guest",
      node: "vm-1",
      reconnect: { initialMs: 20, maxMs: 50 },
    });
    cleanup.push(() => client.close());
    const errors: WireError[] = [];
    client.on("state", (s) => s.error && errors.push(s.error));
    await sleep(100);
    const server = await createLinkServer({ role: "hypervisor", node: "hv-1", tokens, port });
    cleanup.push(() => server.close());
    const link = await client.opened();
    expect(link.peer.node).toBe("hv-1");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.code === "E_CLOSED")).toBe(true);
  });

  it("stops for good on close(): no attempts afterwards", async () => {
    const lab = await startLab({}, cleanup);
    const client = connectGuest(lab, { reconnect: { initialMs: 10, maxMs: 10 } });
    await client.opened();
    const states: string[] = [];
    client.on("state", (s) => states.push(s.state));
    await client.close();
    await sleep(100);
    expect(states).toEqual(["closed"]);
    expect(client.state).toBe("closed");
    const err = await client.opened().catch((e: unknown) => e);
    expect((err as WireError).code).toBe("E_CLOSED");
  });
});

describe("connectLink arguments", () => {
  it("refuses a malformed or non-WebSocket URL synchronously", async () => {
    const { connectLink } = await import("../src/index.js");
    const base = { token: "x".repeat(43), role: "guest" as const, node: "vm-1" };
    expect(() => connectLink({ ...base, url: "not a url" })).toThrow(TypeError);
    expect(() => connectLink({ ...base, url: "http://127.0.0.1:1/" })).toThrow(TypeError);
    // an identity no hello could carry (and no header should): refused before any socket
    expect(() =>
      connectLink({ ...base, url: "ws://127.0.0.1:1/", node: "vm-1\r\nX: y" }),
    ).toThrowError(expect.objectContaining({ code: "E_SCHEMA", path: "/node" }));
  });
});
