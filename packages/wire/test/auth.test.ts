import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  generateToken,
  NODE_HEADER,
  parseBearer,
  type RejectedConnection,
  ROLE_HEADER,
  TOKEN_PATTERN,
  TokenRegistry,
  WireError,
} from "../src/index.js";
import { connectGuest, type Lab, next, RawPeer, sleep, startLab } from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/**
 * Attempts an upgrade and reports what came back: the HTTP status from ws's
 * 'unexpected-response' (no upgrade happened), or "open" if it was upgraded.
 */
async function attempt(url: string, headers: Record<string, string>): Promise<number | "open"> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  ws.on("error", () => {});
  return new Promise((resolve) => {
    ws.on("unexpected-response", (_req, res: IncomingMessage) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => {
      resolve("open");
      ws.terminate();
    });
  });
}

describe("auth at the HTTP upgrade", () => {
  let lab: Lab;
  const guest = { [ROLE_HEADER]: "guest", [NODE_HEADER]: "vm-1" };

  async function setup(): Promise<{ rejected: RejectedConnection[]; links: number[] }> {
    lab = await startLab({}, cleanup);
    const rejected: RejectedConnection[] = [];
    const links: number[] = [];
    lab.server.on("rejected", (r) => rejected.push(r));
    lab.server.on("link", () => links.push(1));
    return { rejected, links };
  }

  it("accepts the right token for the claimed identity", async () => {
    const { rejected } = await setup();
    expect(
      await attempt(lab.server.url, { ...guest, Authorization: `Bearer ${lab.guestToken}` }),
    ).toBe("open");
    expect(rejected).toEqual([]);
  });

  it("answers 401 before the upgrade for a missing token", async () => {
    const { rejected, links } = await setup();
    expect(await attempt(lab.server.url, guest)).toBe(401);
    expect(rejected).toMatchObject([
      { stage: "upgrade", status: 401, message: "missing bearer token" },
    ]);
    expect(links).toEqual([]);
  });

  it("answers 401 for a wrong token and for malformed Authorization headers", async () => {
    const { rejected } = await setup();
    for (const auth of [
      `Bearer ${generateToken()}`,
      `Bearer ${lab.guestToken}x`,
      `Bearer ${lab.guestToken.slice(1)}`,
      `bearer ${lab.guestToken}`,
      `Basic ${lab.guestToken}`,
      `Bearer  ${lab.guestToken}`,
      lab.guestToken,
    ]) {
      expect(await attempt(lab.server.url, { ...guest, Authorization: auth }), auth).toBe(401);
    }
    expect(rejected.every((r) => r.stage === "upgrade" && r.status === 401)).toBe(true);
    expect(rejected).toHaveLength(7);
  });

  it("answers 401 for a valid token used as another node or role", async () => {
    const { rejected, links } = await setup();
    const auth = { Authorization: `Bearer ${lab.guestToken}` };
    expect(
      await attempt(lab.server.url, { ...auth, [ROLE_HEADER]: "guest", [NODE_HEADER]: "vm-2" }),
    ).toBe(401);
    expect(
      await attempt(lab.server.url, {
        ...auth,
        [ROLE_HEADER]: "hypervisor",
        [NODE_HEADER]: "vm-1",
      }),
    ).toBe(401);
    expect(await attempt(lab.server.url, auth)).toBe(401); // no claimed identity at all
    expect(rejected.map((r) => r.message)).toEqual([
      "claimed identity is outside the token's scope",
      "claimed identity is outside the token's scope",
      "claimed identity is outside the token's scope",
    ]);
    expect(links).toEqual([]);
  });

  it("answers 401 for a revoked token", async () => {
    await setup();
    const token = lab.tokens.issue({ role: "guest", node: "vm-3" });
    const headers = {
      [ROLE_HEADER]: "guest",
      [NODE_HEADER]: "vm-3",
      Authorization: `Bearer ${token}`,
    };
    expect(await attempt(lab.server.url, headers)).toBe("open");
    expect(lab.tokens.revoke(token)).toBe(true);
    expect(await attempt(lab.server.url, headers)).toBe(401);
  });

  it("refuses a hello that claims another identity than the token (E_AUTH, close 4401)", async () => {
    const { rejected, links } = await setup();
    const raw = await RawPeer.open(lab, { hello: { node: "vm-2" } as never });
    expect(raw.received[0]).toMatchObject({ t: "refusal", code: "E_AUTH" });
    expect(await raw.closed).toBe(4401);
    expect(rejected).toMatchObject([{ stage: "handshake", code: "E_AUTH", closeCode: 4401 }]);
    expect(links).toEqual([]);
  });

  it("makes a client with a bad token give up at once (no retry storm)", async () => {
    await setup();
    const client = connectGuest(lab, { token: generateToken() });
    const states: string[] = [];
    client.on("state", (s) => states.push(s.state));
    const err = await client.opened().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("E_AUTH");
    expect((err as WireError).message).toContain("401");
    await sleep(300);
    expect(states).toEqual(["connecting", "closed"]);
  });

  it("answers a plain HTTP request with 426 Upgrade Required", async () => {
    await setup();
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(lab.server.url.replace("ws:", "http:"), (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(426);
  });
});

describe("tokens", () => {
  it("generates 43-char base64url tokens from 32 random bytes, all distinct", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = generateToken();
      expect(t).toMatch(TOKEN_PATTERN);
      expect(Buffer.from(t, "base64url").length).toBe(32);
      seen.add(t);
    }
    expect(seen.size).toBe(1000);
  });

  it("maps tokens to exactly one scope and rejects bad registrations", () => {
    const reg = new TokenRegistry();
    const a = reg.issue({ role: "guest", node: "vm-1" });
    const b = reg.issue({ role: "client", node: "admin" });
    expect(reg.verify(a)).toEqual({ role: "guest", node: "vm-1" });
    expect(reg.verify(b)).toEqual({ role: "client", node: "admin" });
    expect(reg.verify(generateToken())).toBeUndefined();
    expect(reg.verify(undefined)).toBeUndefined();
    expect(reg.verify("short")).toBeUndefined();
    expect(() => reg.add("short", { role: "guest", node: "vm-1" })).toThrow(TypeError);
    expect(() => reg.add(generateToken(), { role: "root" as never, node: "vm-1" })).toThrow(
      TypeError,
    );
    expect(() => reg.add(generateToken(), { role: "guest", node: "../etc" })).toThrow(TypeError);
    expect(reg.size).toBe(2);
  });

  it("parses only the exact Bearer form", () => {
    const t = generateToken();
    expect(parseBearer(`Bearer ${t}`)).toBe(t);
    expect(parseBearer(`Bearer ${t} `)).toBeUndefined();
    expect(parseBearer(`Token ${t}`)).toBeUndefined();
    expect(parseBearer(undefined)).toBeUndefined();
  });
});

describe("handshake hygiene", () => {
  it("closes with 4409 when no hello arrives in time", async () => {
    const lab = await startLab({ handshakeTimeoutMs: 100 }, cleanup);
    const raw = new RawPeer(lab.server.url, lab.guestToken, "guest", "vm-1");
    await next(raw.ws, "open");
    expect(await raw.closed).toBe(4409);
    expect(raw.received[0]).toMatchObject({ t: "refusal", code: "E_TIMEOUT" });
  });

  it("closes with 4400 when the first frame is not a valid hello", async () => {
    const lab = await startLab({}, cleanup);
    for (const first of [new Uint8Array([1, 2, 3]), "hello as text"]) {
      const raw = new RawPeer(lab.server.url, lab.guestToken, "guest", "vm-1");
      await next(raw.ws, "open");
      raw.sendRaw(first);
      expect(await raw.closed).toBe(4400);
    }
    const raw = new RawPeer(lab.server.url, lab.guestToken, "guest", "vm-1");
    await next(raw.ws, "open");
    raw.sendMsg({ t: "virtio.avail", desc: 1, len: 1 });
    expect(await raw.closed).toBe(4400);
    expect(raw.received[0]).toMatchObject({ t: "refusal", code: "E_INVALID" });
  });
});
