import { spawnSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RateLimiterConfig } from "@vmrng/devices";
import { afterEach, describe, expect, it } from "vitest";
import { EgdClientGenerator } from "../../src/egd/client-generator.js";
import { EgdError } from "../../src/egd/errors.js";
import { wallClock } from "../../src/egd/index.js";
import { EgdEntropyPool } from "../../src/egd/pool.js";
import { EgdServer, type EgdServerOptions } from "../../src/egd/server.js";
import { fixedSeeds, hex } from "./helpers.js";

const u8 = (...b: number[]) => new Uint8Array(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  server: EgdServer;
  logs: string[];
}
const servers: EgdServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

async function start(o: Partial<EgdServerOptions> = {}, seedTag = 1): Promise<Started> {
  const logs: string[] = [];
  const server = await EgdServer.start({
    port: 0,
    rateLimit: {},
    maxClients: 16,
    pool: new EgdEntropyPool({ seedSource: fixedSeeds(seedTag).source, clock: wallClock }),
    pid: 4242,
    clock: wallClock,
    log: (level, message) => logs.push(`${level} ${message}`),
    requestTimeoutMs: 300,
    stallTimeoutMs: 600,
    ...o,
  });
  servers.push(server);
  return { server, logs };
}

/** The bytes the n-th client (0-based, by connection order) of a fixed-seed server gets. */
function twinStream(seedTag: number, clientIndex: number): EgdClientGenerator {
  const pool = new EgdEntropyPool({ seedSource: fixedSeeds(seedTag).source, clock: wallClock });
  const gens = Array.from({ length: clientIndex + 1 }, () => new EgdClientGenerator(pool));
  return gens[clientIndex]!;
}

/** A raw EGD client that keeps everything it receives. */
class Client {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  ended = false;
  closed: Promise<void>;
  constructor(where: { port: number } | { path: string }) {
    this.socket =
      "port" in where
        ? createConnection({ port: where.port, host: "127.0.0.1", noDelay: true })
        : createConnection({ path: where.path });
    sockets.push(this.socket);
    this.socket.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
    });
    this.socket.on("error", () => {});
    this.socket.on("end", () => {
      this.ended = true;
    });
    this.closed = new Promise((r) => this.socket.once("close", () => r()));
  }
  async connected(): Promise<this> {
    if (!this.socket.connecting) return this;
    await new Promise((r) => this.socket.once("connect", r));
    return this;
  }
  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }
  get received(): Uint8Array {
    return new Uint8Array(this.buf);
  }
  async read(n: number, timeoutMs = 2000): Promise<Uint8Array> {
    const end = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (Date.now() > end) throw new Error(`got ${this.buf.length} of ${n} bytes`);
      await sleep(5);
    }
    const out = new Uint8Array(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return out;
  }
}

async function until(probe: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("EgdServer over real sockets", () => {
  it("serves QEMU's pipelined [0x02, ≤255] headers with exactly the bytes asked, in order", async () => {
    const { server } = await start({}, 5);
    const c = await new Client({ port: server.port }).connected();
    // rng_egd_request_entropy splits a 600-byte request into 255 + 255 + 90, one write.
    c.send(u8(0x02, 255, 0x02, 255, 0x02, 90));
    const got = await c.read(600);
    await sleep(150);
    expect(c.received).toHaveLength(0); // not one byte more: QEMU would misattribute it
    const twin = twinStream(5, 0);
    const expected = Buffer.concat([twin.generate(255), twin.generate(255), twin.generate(90)]);
    expect(hex(got)).toBe(expected.toString("hex"));
    const st = server.status();
    expect(st.clients).toHaveLength(1);
    expect(st.clients[0]).toMatchObject({ requests: 3n, bytes: 600n, mixedBytes: 0n });
    expect(st.clients[0]!.client).toMatch(/^tcp 127\.0\.0\.1:\d+$/);
    expect(st).toMatchObject({ connections: 1n, requests: 3n, bytes: 600n, dropped: 0n });
  });

  it("one request in flight at a time (virtio-rng's pattern): each reply is the stream's next bytes, none ahead", async () => {
    // 40 × 255 bytes crosses two 4 KiB keystream block boundaries, topped up between requests.
    const { server } = await start({}, 7);
    const c = await new Client({ port: server.port }).connected();
    const twin = twinStream(7, 0);
    for (let i = 0; i < 40; i++) {
      c.send(u8(0x02, 255));
      expect(hex(await c.read(255))).toBe(hex(twin.generate(255)));
      expect(c.received).toHaveLength(0);
    }
    // A mixed pipelined batch after that: every reply in order, exactly its own length.
    c.send(u8(0x00, 0x02, 0x08, 0x04, 0x01, 0x05));
    const got = await c.read(4 + 8 + 5 + 6);
    await sleep(150);
    expect(c.received).toHaveLength(0);
    expect(hex(got)).toBe(
      hex(
        Buffer.concat([
          u8(0xff, 0xff, 0xff, 0xff),
          twin.generate(8),
          u8(4, 0x34, 0x32, 0x34, 0x32),
          u8(5),
          twin.generate(5),
        ]),
      ),
    );
    expect(server.status().clients[0]).toMatchObject({ requests: 44n, bytes: 10213n });
  });

  it("answers a burst of 32768 pipelined requests in full to a client that reads", async () => {
    // 8 MiB of replies: the socket's buffer fills again and again, and each drain resumes it.
    const { server } = await start({}, 6);
    const c = await new Client({ port: server.port }).connected();
    const burst = new Uint8Array(64 * 1024);
    for (let i = 0; i < burst.length; i += 2) burst.set([0x02, 0xff], i);
    c.send(burst);
    const got = await c.read(32768 * 255, 20_000);
    await sleep(100);
    expect(c.received).toHaveLength(0);
    const twin = twinStream(6, 0);
    const expected = Buffer.concat(Array.from({ length: 32768 }, () => twin.generate(255)));
    expect(Buffer.from(got).equals(expected)).toBe(true);
    expect(server.status().clients[0]).toMatchObject({ requests: 32768n, bytes: 8355840n });
  });

  it("answers requests split across segments, byte by byte", async () => {
    const { server } = await start();
    const c = await new Client({ port: server.port }).connected();
    for (const b of [0x02, 0x08, 0x00, 0x03, 0x00, 0x10, 0x01, 0x55, 0x04]) {
      c.send(u8(b));
      await sleep(15);
    }
    const blocking = await c.read(8);
    expect(blocking).toHaveLength(8);
    expect([...(await c.read(4))]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect([...(await c.read(5))]).toEqual([4, 0x34, 0x32, 0x34, 0x32]);
    expect(server.status().clients[0]).toMatchObject({ requests: 4n, mixedBytes: 1n, bytes: 8n });
  });

  it("closes a client on an unknown command after its earlier replies, with a log line; others go on", async () => {
    const { server, logs } = await start();
    const good = await new Client({ port: server.port }).connected();
    const bad = await new Client({ port: server.port }).connected();
    bad.send(u8(0x02, 0x08, 0x07, 0x02, 0x08));
    await bad.closed;
    expect(bad.received).toHaveLength(8);
    expect(
      logs.some((l) =>
        /^warn tcp 127\.0\.0\.1:\d+: unknown EGD command 0x07 at stream offset 2; closing the connection \(E_EGD_UNKNOWN_COMMAND\)$/.test(
          l,
        ),
      ),
    ).toBe(true);
    good.send(u8(0x02, 0x20));
    expect(await good.read(32)).toHaveLength(32);
    await until(() => server.status().dropped === 1n, 1000, "the drop to be counted");
    expect(server.status()).toMatchObject({ connections: 2n, dropped: 1n });
  });

  it("closes a request cut short once its rest is overdue, but waits out a slow complete one", async () => {
    const { server, logs } = await start({ requestTimeoutMs: 200 });
    const slow = await new Client({ port: server.port }).connected();
    for (const b of [0x03, 0x00, 0x08, 0x02, 0xaa, 0xbb]) {
      slow.send(u8(b));
      await sleep(60);
    }
    slow.send(u8(0x02, 0x04));
    expect(await slow.read(4)).toHaveLength(4);
    const cut = await new Client({ port: server.port }).connected();
    cut.send(u8(0x03, 0x00, 0x08, 0x04, 0x01));
    const t0 = Date.now();
    await cut.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /: 0x03 add entropy request has 5 of 8 bytes; the rest did not come within 200 ms; closing the connection \(E_EGD_TRUNCATED\)$/,
      ),
    );
    expect(slow.ended).toBe(false);
  });

  it("holds a client that never reads to a bounded backlog, keeps serving others, then drops it", async () => {
    const { server, logs } = await start({ stallTimeoutMs: 800 });
    const hog = await new Client({ port: server.port }).connected();
    hog.socket.pause(); // never reads
    const flood = new Uint8Array(256 * 1024);
    for (let i = 0; i < flood.length; i += 2) flood.set([0x02, 0xff], i);
    hog.send(flood);
    // Let it fill every kernel buffer on the way.
    await until(() => (server.backlog()[0]?.unsent ?? 0) > 0, 5000, "the hog's replies to back up");
    const peak = { unparsed: 0, unsent: 0 };
    const other = await new Client({ port: server.port }).connected();
    for (let i = 0; i < 10; i++) {
      const b = server.backlog().find((x) => x.unsent > 0);
      if (b) {
        peak.unparsed = Math.max(peak.unparsed, b.unparsed);
        peak.unsent = Math.max(peak.unsent, b.unsent);
      }
      const t0 = Date.now();
      other.send(u8(0x02, 0x40));
      expect(await other.read(64, 1000)).toHaveLength(64);
      expect(Date.now() - t0).toBeLessThan(500);
      await sleep(20);
    }
    // It was backed up all along: one received chunk at most held, and no more unsent than
    // the socket's high-water mark plus one reply.
    expect(peak.unsent).toBeGreaterThan(0);
    expect(peak.unparsed).toBeLessThanOrEqual(64 * 1024);
    expect(peak.unsent).toBeLessThanOrEqual(16 * 1024 + 255);
    await until(() => server.status().dropped === 1n, 5000, "the hog to be dropped");
    hog.socket.resume(); // a paused socket would never notice the reset
    await hog.closed;
    expect(logs).toContainEqual(
      expect.stringMatching(
        /: the client stopped reading: \d+ reply bytes undelivered for 800 ms; closing the connection \(E_EGD_STALLED\)$/,
      ),
    );
    other.send(u8(0x02, 0x10));
    expect(await other.read(16)).toHaveLength(16);
    expect(server.status().dropped).toBe(1n);
  });

  it("answers everything a client sent before shutting down its side, then closes", async () => {
    const { server } = await start();
    const c = await new Client({ port: server.port }).connected();
    c.send(u8(0x02, 0x10, 0x04));
    c.socket.end();
    await c.closed;
    expect(c.received).toHaveLength(16 + 5);
    expect([...c.received.subarray(16)]).toEqual([4, 0x34, 0x32, 0x34, 0x32]);
  });

  it("refuses clients beyond maxClients with a log line", async () => {
    const { server, logs } = await start({ maxClients: 2 });
    const a = await new Client({ port: server.port }).connected();
    await new Client({ port: server.port }).connected();
    await until(() => server.clientCount === 2, 1000, "two clients");
    const third = await new Client({ port: server.port }).connected();
    await third.closed;
    expect(logs).toContainEqual(
      expect.stringMatching(
        /: 2 clients already \(host\.egd\.maxClients\); closing the connection \(E_EGD_TOO_MANY_CLIENTS\)$/,
      ),
    );
    a.send(u8(0x02, 0x01));
    expect(await a.read(1)).toHaveLength(1);
  });

  it("limits each client with its own token buckets", async () => {
    const limit: RateLimiterConfig = { bandwidth: { size: 64, refillTimeMs: 300 } };
    const { server } = await start({ rateLimit: limit });
    const a = await new Client({ port: server.port }).connected();
    const b = await new Client({ port: server.port }).connected();
    const t0 = Date.now();
    a.send(u8(0x02, 0x40, 0x02, 0x40));
    await a.read(64);
    b.send(u8(0x02, 0x40));
    await b.read(64, 200); // b's bucket is its own: no wait
    await a.read(64, 2000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const st = server.status();
    expect(st.clients.map((c) => c.throttled).sort()).toEqual([0n, 1n]);
  });

  it("a client's 0x03 input never changes another client's bytes", async () => {
    // Two servers with the same OS seed: in one, client A mixes chosen bytes while B reads.
    const world = async (mix: boolean): Promise<string> => {
      const { server } = await start({}, 9);
      const b = await new Client({ port: server.port }).connected();
      await until(() => server.clientCount === 1, 1000, "b");
      const a = await new Client({ port: server.port }).connected();
      await until(() => server.clientCount === 2, 1000, "a");
      b.send(u8(0x02, 0x80));
      const first = await b.read(128);
      if (mix) {
        const chosen = new Uint8Array(255).fill(0x42);
        a.send(u8(0x03, 0x07, 0xf8, 0xff, ...chosen));
        a.send(u8(0x00));
        await a.read(4); // the mix is done once the later 0x00 is answered
        expect(server.status().mixedBytes).toBe(255n);
      }
      b.send(u8(0x02, 0xff));
      return hex(first) + hex(await b.read(255));
    };
    expect(await world(true)).toBe(await world(false));
  });

  it("listens on a private Unix socket too, replacing a stale one and refusing a live one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "egd-unix-"));
    const path = join(dir, "egd.sock");
    // A stale socket file: its listener was killed without a chance to unlink it.
    spawnSync(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    expect(statSync(path).isSocket()).toBe(true);
    writeFileSync(join(dir, "placeholder"), "");
    const { server } = await start({ socketPath: path });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const c = await new Client({ path }).connected();
    c.send(u8(0x02, 0x20));
    expect(await c.read(32)).toHaveLength(32);
    expect(server.status().clients[0]!.client).toBe("unix #1");
    expect(server.status().socketPath).toBe(path);
    await expect(start({ socketPath: path })).rejects.toMatchObject({
      code: "E_EGD_CONFIG",
      message: `${path} is in use by another EGD server`,
    });
    const notSocket = join(dir, "placeholder");
    await expect(start({ socketPath: notSocket })).rejects.toThrow(/exists and is not a socket/);
  });

  it("fails to start with a typed error when the port is taken", async () => {
    const { server } = await start();
    const err = await start({ port: server.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgdError);
    expect((err as EgdError).code).toBe("E_EGD_CONFIG");
    expect((err as EgdError).message).toMatch(/^cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });
});
