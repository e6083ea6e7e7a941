import { afterEach, describe, expect, it } from "vitest";
import {
  connectLink,
  createLinkServer,
  type Link,
  type MessageOf,
  negotiateVersion,
  type OneWay,
  TokenRegistry,
  WireError,
} from "../src/index.js";
import {
  connectGuest,
  type Lab,
  next,
  nextLink,
  RawPeer,
  sleep,
  startLab,
  until,
} from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function lab(options: Parameters<typeof startLab>[0] = {}): Promise<Lab> {
  return startLab(options, cleanup);
}

async function rejection(p: Promise<unknown>): Promise<WireError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error("expected a rejection");
}

describe("link: requests and one-way messages", () => {
  it("correlates pipelined requests with their replies", async () => {
    const l = await lab();
    l.server.handle("msr.rdmsr", async (m) => {
      await sleep(m.index % 3); // replies come back out of order
      return { t: "msr.value", index: m.index, value: BigInt(m.index) << 40n };
    });
    const client = connectGuest(l);
    await client.opened();
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.request({ t: "msr.rdmsr", index: i })),
    );
    replies.forEach((r, i) => {
      expect(r).toMatchObject({ t: "msr.value", index: i, value: BigInt(i) << 40n });
    });
  });

  it("delivers one-way messages both ways, to handlers or as message events", async () => {
    const l = await lab();
    const avail: MessageOf<"virtio.avail">[] = [];
    l.server.handle("virtio.avail", (m, link) => {
      avail.push(m);
      link.send({ t: "virtio.used", desc: m.desc, data: new Uint8Array(m.len).fill(m.desc) });
    });
    const client = connectGuest(l);
    const used: OneWay[] = [];
    client.on("message", (m) => used.push(m));
    await client.opened();
    client.send({ t: "virtio.avail", desc: 5, len: 64 });
    client.send({ t: "virtio.avail", desc: 6, len: 32 });
    await until(() => used.length === 2);
    expect(avail.map((m) => m.desc)).toEqual([5, 6]);
    expect(used[0]).toEqual({ t: "virtio.used", desc: 5, data: new Uint8Array(64).fill(5) });
    expect(used[1]).toEqual({ t: "virtio.used", desc: 6, data: new Uint8Array(32).fill(6) });
  });

  it("lets the server send requests to a client and the client handle them", async () => {
    const l = await lab();
    const client = connectGuest(l);
    client.handle("boot.params", (m) => {
      expect(m.bootParams.byteLength).toBe(4096);
      return undefined; // → ok
    });
    client.handle("vmgenid.notify", () => {});
    const linkP = nextLink(l.server);
    await client.opened();
    const link = await linkP;
    const ok = await link.request({
      t: "boot.params",
      bootParams: new Uint8Array(4096),
      setupData: [],
      cpu: {
        cpus: 1,
        rdrand: { mode: "ok" },
        coco: false,
        trustCpu: true,
        trustBootloader: true,
        trustMsr: false,
      },
      devices: {
        virtioRng: { present: true, queueSize: 8 },
        msr: { present: false, index: 0, writable: false },
        vmgenid: { mode: "off" },
      },
      clockRate: 1,
      irqRate: 0,
    });
    expect(ok.t).toBe("ok");
  });
});

describe("link: failures are typed and never crash", () => {
  it("times out a request nobody answers, and counts the late reply as stray", async () => {
    const l = await lab();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    l.server.handle("vmgenid.read", async () => {
      await gate;
      return { t: "vmgenid.id", vmgenid: new Uint8Array(16) };
    });
    const client = connectGuest(l, { requestTimeoutMs: 50 });
    const link = await client.opened();
    const started = Date.now();
    const err = await rejection(client.request({ t: "vmgenid.read" }));
    expect(err.code).toBe("E_TIMEOUT");
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(link.pendingRequests).toBe(0);
    release();
    await until(() => link.stats.strayReplies === 1);
    // a per-request timeout overrides the default
    const slow = client.request({ t: "vmgenid.read" }, { timeoutMs: 2000 });
    expect((await slow).t).toBe("vmgenid.id");
  });

  it("answers a handler's WireError with its code (E_REMOTE on the requester)", async () => {
    const l = await lab();
    l.server.handle("msr.rdmsr", () => {
      throw new WireError("E_NOT_FOUND", "no such MSR");
    });
    const client = connectGuest(l);
    await client.opened();
    const err = await rejection(client.request({ t: "msr.rdmsr", index: 1 }));
    expect(err.code).toBe("E_REMOTE");
    expect(err.remoteCode).toBe("E_NOT_FOUND");
    expect(err.message).toContain("no such MSR");
  });

  it("turns any other throw into E_INTERNAL, reports it locally and keeps serving", async () => {
    const l = await lab();
    let calls = 0;
    l.server.handle("msr.rdmsr", (m) => {
      calls++;
      if (m.index === 13) throw new TypeError("boom");
      return { t: "msr.gp", index: m.index };
    });
    const serverLink = nextLink(l.server);
    const client = connectGuest(l);
    await client.opened();
    const link = await serverLink;
    const local: WireError[] = [];
    link.on("wireError", (e) => local.push(e));
    const err = await rejection(client.request({ t: "msr.rdmsr", index: 13 }));
    expect(err.remoteCode).toBe("E_INTERNAL");
    expect(err.message).not.toContain("boom"); // details stay on the node that failed
    expect(local).toHaveLength(1);
    expect(local[0]!.code).toBe("E_INTERNAL");
    expect((local[0]!.cause as Error).message).toBe("boom");
    expect((await client.request({ t: "msr.rdmsr", index: 14 })).t).toBe("msr.gp");
    expect(calls).toBe(2);
  });

  it("refuses a handler's invalid or mismatched reply with E_INTERNAL", async () => {
    const l = await lab();
    l.server.handle("msr.cpuid", () => ({ t: "msr.cpuid.regs", eax: -1, ebx: 0, ecx: 0, edx: 0 }));
    l.server.handle("msr.wrmsr", () => ({ t: "vmgenid.id", vmgenid: new Uint8Array(16) }) as never);
    l.server.handle("vmgenid.read", () => undefined as never); // vmgenid.read has no `ok` reply
    const client = connectGuest(l);
    await client.opened();
    for (const req of [
      client.request({ t: "msr.cpuid", leaf: 0, subleaf: 0 }),
      client.request({ t: "msr.wrmsr", index: 1, value: 1n }),
      client.request({ t: "vmgenid.read" }),
    ]) {
      expect((await rejection(req)).remoteCode).toBe("E_INTERNAL");
    }
  });

  it("answers E_NO_HANDLER for a request type nobody handles", async () => {
    const l = await lab();
    const client = connectGuest(l);
    await client.opened();
    const err = await rejection(client.request({ t: "gencounter.read" }));
    expect(err.remoteCode).toBe("E_NO_HANDLER");
  });

  it("refuses messages the peer's role may not send (E_AUTH)", async () => {
    const l = await lab();
    let ran = false;
    l.server.handle("vm.start", () => {
      ran = true;
      return { t: "vm.state", vm: "vm-1", state: "running" };
    });
    const client = connectGuest(l);
    await client.opened();
    const err = await rejection(client.request({ t: "vm.start", vm: "vm-2" }));
    expect(err.remoteCode).toBe("E_AUTH");
    expect(ran).toBe(false);
  });

  it("rejects a reply whose type does not answer the request (E_SCHEMA)", async () => {
    const l = await lab();
    const linkP = nextLink(l.server);
    const raw = await RawPeer.open(l);
    const link = await linkP;
    const reply = link.request({ t: "guest.save" }, { timeoutMs: 3000 });
    const req = (await raw.waitFor((m) => m.t === "guest.save")) as MessageOf<"guest.save">;
    // a reply type a guest may send, but not one that answers guest.save
    raw.sendMsg({ t: "rng.data", re: req.id, vm: "vm-1", data: new Uint8Array(1) });
    const err = await rejection(reply);
    expect(err.code).toBe("E_SCHEMA");
    expect(err.message).toBe("rng.data does not answer guest.save");
    raw.close();
  });

  it("rejects pending requests with E_CLOSED when the link closes, and refuses new ones", async () => {
    const l = await lab();
    l.server.handle("vmgenid.read", () => new Promise(() => {}));
    const client = connectGuest(l, { reconnect: false });
    const link = await client.opened();
    const pending = client.request({ t: "vmgenid.read" });
    const closed = next(link, "close");
    link.close();
    expect((await rejection(pending)).code).toBe("E_CLOSED");
    expect((await closed)[0]).toMatchObject({ code: 1000, byPeer: false });
    expect((await rejection(link.request({ t: "vmgenid.read" }))).code).toBe("E_CLOSED");
    expect(() => link.send({ t: "virtio.avail", desc: 0, len: 1 })).toThrowError(
      expect.objectContaining({ code: "E_CLOSED" }),
    );
    expect((await rejection(client.request({ t: "vmgenid.read" }))).code).toBe("E_CLOSED");
  });

  it("refuses to send an invalid message, synchronously and typed", async () => {
    const l = await lab();
    const client = connectGuest(l);
    await client.opened();
    expect(() => client.send({ t: "virtio.avail", desc: 40000, len: 64 })).toThrowError(
      expect.objectContaining({ code: "E_SCHEMA", path: "/desc" }),
    );
    const err = await rejection(client.request({ t: "msr.rdmsr", index: -1 }));
    expect(err.code).toBe("E_SCHEMA");
  });

  it("keeps a forwarded failure's original code across a routing hop", async () => {
    // client → host (server A) → forwards over its own client link → hypervisor (server B)
    const tokens = new TokenRegistry();
    const hvServer = await createLinkServer({ role: "hypervisor", node: "hv-1", tokens });
    cleanup.push(() => hvServer.close());
    hvServer.handle("vm.start", (m) => {
      throw new WireError("E_NOT_FOUND", `no VM ${m.vm}`);
    });
    const upstream = connectLink({
      url: hvServer.url,
      token: tokens.issue({ role: "host", node: "host" }),
      role: "host",
      node: "host",
    });
    cleanup.push(() => upstream.close());
    await upstream.opened();
    const hostServer = await createLinkServer({ role: "host", node: "host", tokens });
    cleanup.push(() => hostServer.close());
    hostServer.handle("vm.start", (m) => upstream.request({ t: "vm.start", vm: m.vm }));
    const cli = connectLink({
      url: hostServer.url,
      token: tokens.issue({ role: "client", node: "cli" }),
      role: "client",
      node: "cli",
    });
    cleanup.push(() => cli.close());
    await cli.opened();
    const err = await rejection(cli.request({ t: "vm.start", vm: "vm-9" }));
    expect(err.code).toBe("E_REMOTE");
    expect(err.remoteCode).toBe("E_NOT_FOUND");
    expect(err.message).toContain("no VM vm-9");
  });

  it("only lets requests and one-way messages have handlers", async () => {
    const l = await lab();
    expect(() => l.server.handle("hello" as never, (() => {}) as never)).toThrow(TypeError);
    expect(() => l.server.handle("ok" as never, (() => {}) as never)).toThrow(TypeError);
    expect(() => l.server.handle("nope" as never, (() => {}) as never)).toThrow(TypeError);
  });
});

describe("link: version negotiation", () => {
  it("picks the highest common version", () => {
    expect(negotiateVersion({ min: 1, max: 3 }, { min: 2, max: 5 })).toBe(3);
    expect(negotiateVersion({ min: 1, max: 1 }, { min: 1, max: 1 })).toBe(1);
    expect(negotiateVersion({ min: 1, max: 2 }, { min: 3, max: 4 })).toBeUndefined();
    expect(negotiateVersion({ min: 1, max: 2 }, { min: 3, max: 1 })).toBeUndefined();
  });

  it("agrees on the highest common version over a real handshake", async () => {
    const l = await lab({ versions: { min: 1, max: 4 } });
    const client = connectGuest(l, { versions: { min: 2, max: 7 } });
    const link: Link = await client.opened();
    expect(link.version).toBe(4);
    expect(link.peer).toEqual({ role: "hypervisor", node: "hv-1" });
  });

  it("refuses disjoint versions with E_VERSION and close 4426, without retrying", async () => {
    const l = await lab({ versions: { min: 3, max: 4 } });
    const rejected = next<[{ code: string; closeCode?: number }]>(l.server, "rejected");
    const client = connectGuest(l, { versions: { min: 1, max: 2 } });
    const states: string[] = [];
    client.on("state", (s) => states.push(s.state));
    const err = await rejection(client.opened());
    expect(err.code).toBe("E_VERSION");
    expect(err.message).toContain("server speaks 3..4");
    expect((await rejected)[0]).toMatchObject({ code: "E_VERSION", closeCode: 4426 });
    await sleep(50);
    expect(states).toEqual(["connecting", "closed"]);
  });

  it("refuses a server that is not who the client expects", async () => {
    const l = await lab();
    const client = connectGuest(l, { expect: { role: "hypervisor", node: "hv-2" } });
    const err = await rejection(client.opened());
    expect(err.code).toBe("E_AUTH");
    expect(client.state).toBe("closed");
  });
});

describe("link: write coalescing", () => {
  async function burstWrites(
    coalesceWrites: boolean,
    size = 1,
    count = 100,
  ): Promise<{ writes: number; got: number[] }> {
    const { Socket } = await import("node:net");
    const l = await lab({ coalesceWrites });
    const linkP = nextLink(l.server);
    const raw = await RawPeer.open(l);
    const link = await linkP;
    const proto = Socket.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const original = { _write: proto._write!, _writev: proto._writev! };
    let writes = 0;
    proto._write = function (this: unknown, ...a: unknown[]) {
      writes++;
      return original._write.apply(this, a);
    };
    proto._writev = function (this: unknown, ...a: unknown[]) {
      writes++;
      return original._writev.apply(this, a);
    };
    try {
      for (let i = 0; i < count; i++)
        link.send({ t: "virtio.used", desc: i, data: new Uint8Array(size).fill(i) });
      await sleep(20);
    } finally {
      proto._write = original._write;
      proto._writev = original._writev;
    }
    await until(() => raw.received.filter((m) => m.t === "virtio.used").length === count);
    const got = raw.received
      .filter((m) => m.t === "virtio.used")
      .map((m) => (m as MessageOf<"virtio.used">).desc);
    raw.close();
    return { writes, got };
  }

  it("sends the frames of one tick in one socket write, in order", async () => {
    const on = await burstWrites(true);
    expect(on.got).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(on.writes).toBeLessThanOrEqual(2);
    const off = await burstWrites(false);
    expect(off.got).toEqual(on.got);
    expect(off.writes).toBeGreaterThanOrEqual(50);
  });

  it("does not hold back large frames", async () => {
    const big = await burstWrites(true, 20_000, 10);
    expect(big.got).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(big.writes).toBeGreaterThanOrEqual(10);
  });
});

describe("link: throwing listeners", () => {
  it("turns a throwing event listener into a wireError instead of crashing", async () => {
    const l = await lab();
    const linkP = nextLink(l.server);
    const client = connectGuest(l);
    const state: string[] = [];
    client.on("state", () => {
      throw new Error("listener bug");
    });
    client.on("state", (s) => state.push(s.state)); // later listeners still run
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    cleanup.push(() => {
      process.off("warning", onWarning);
    });
    await client.opened();
    const serverLink = await linkP;
    const local: WireError[] = [];
    serverLink.on("wireError", (e) => local.push(e));
    let seen = 0;
    serverLink.on("message", () => {
      seen++;
      throw new TypeError("boom");
    });
    client.send({ t: "virtio.avail", desc: 1, len: 8 });
    client.send({ t: "virtio.avail", desc: 2, len: 8 });
    await until(() => seen === 2);
    expect(local.map((e) => e.code)).toEqual(["E_INTERNAL", "E_INTERNAL"]);
    expect(serverLink.state).toBe("open");
    expect(state).toContain("open");
    await until(() => warnings.some((w) => w.includes("listener bug")));
  });
});

describe("relay", () => {
  it("forwards a request one hop and hands back the reply body or the original error code", async () => {
    const { relay } = await import("../src/index.js");
    const tokens = new TokenRegistry();
    const hv = await createLinkServer({ role: "hypervisor", node: "hv-1", tokens });
    cleanup.push(() => hv.close());
    hv.handle("vm.pause", (m) =>
      m.vm === "vm-1"
        ? { t: "vm.state", vm: m.vm, state: "paused" }
        : Promise.reject(new WireError("E_NOT_FOUND", `no ${m.vm}`)),
    );
    const up = connectLink({
      url: hv.url,
      token: tokens.issue({ role: "host", node: "host" }),
      role: "host",
      node: "host",
    });
    cleanup.push(() => up.close());
    const upLink = await up.opened();
    const body = await relay(upLink, { t: "vm.pause", vm: "vm-1" });
    expect(body).toEqual({ t: "vm.state", vm: "vm-1", state: "paused" }); // no `re` of the inner hop
    const err = await relay(upLink, { t: "vm.pause", vm: "vm-7" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("E_NOT_FOUND");
  });
});
