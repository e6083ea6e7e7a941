import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinkServer, type LinkServer, type NodeStatus, TokenRegistry } from "@vmrng/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterEvent,
  ClusterNotRunningError,
  ControlClient,
  describeGetrandomFlags,
  GuestErrnoError,
  RunStateError,
} from "../../src/control/index.js";
import { RunDir, type RunState } from "../../src/run-dir.js";

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "0"]);
  return r.pid!;
}

function tempRunDir(): RunDir {
  const dir = new RunDir(mkdtempSync(join(tmpdir(), "vmrng-control-")));
  dir.create();
  return dir;
}

function state(url: string, hostPid = process.pid): RunState {
  return {
    format: 1,
    cluster: "test",
    hostPid,
    controlUrl: url,
    startedAt: new Date().toISOString(),
    nodes: [{ id: "host", role: "host", pid: hostPid }],
  };
}

const GUEST: NodeStatus = {
  node: "g1",
  role: "guest",
  pid: 4242,
  state: "running",
  uptimeMs: 1500,
  crng: { init: "READY", entropyAvail: 256, generation: 3n, readyAtMs: 12 },
  channels: [{ channel: "setup_data", requests: 1n, bytes: 32n, errors: 0n }],
};

describe("ControlClient against a host-role Link server", () => {
  let server: LinkServer;
  let runDir: RunDir;
  let downRequested: number | undefined;

  beforeAll(async () => {
    const tokens = new TokenRegistry();
    const token = tokens.issue({ role: "client", node: "cli" });
    server = await createLinkServer({ role: "host", node: "host", tokens });
    server.handle("status.get", (msg) => ({
      t: "status.report",
      nodes: msg.nodes === undefined ? [GUEST] : [GUEST].filter((n) => msg.nodes!.includes(n.node)),
    }));
    server.handle("rng.getrandom", (msg) =>
      msg.vm === "starved" && msg.flags & 1
        ? { t: "rng.errno", vm: msg.vm, errno: "EAGAIN" }
        : { t: "rng.data", vm: msg.vm, data: new Uint8Array(msg.len).fill(msg.flags + 1) },
    );
    server.handle("rng.read", (msg) =>
      msg.source === "hwrng"
        ? { t: "rng.errno", vm: msg.vm, errno: "ENODEV" }
        : { t: "rng.data", vm: msg.vm, data: new Uint8Array(msg.len).fill(7) },
    );
    server.handle("log.read", (msg) => ({
      t: "log.lines",
      node: msg.node,
      lines: [{ vtimeMs: 0.5, level: 5, text: "random: crng init done" }],
      more: false,
    }));
    let nextSub = 40;
    server.handle("events.subscribe", (msg, link) => {
      const sub = ++nextSub;
      // Deliver one event for this subscription and one for another, after the reply.
      setTimeout(() => {
        link.send({
          t: "event",
          sub: 999,
          node: "g1",
          vtimeMs: 1,
          kind: "log",
          level: "info",
          message: "not for us",
        });
        link.send({
          t: "event",
          sub,
          node: msg.nodes?.[0] ?? "g1",
          vtimeMs: 2.5,
          kind: "log",
          level: "info",
          message: "random: crng init done",
          data: { generation: 1n },
        });
      }, 10);
      return { t: "events.subscribed", sub };
    });
    server.handle("events.unsubscribe", () => undefined);
    server.handle("cluster.down", (msg) => {
      downRequested = msg.timeoutMs;
      return { t: "cluster.state", state: "down", nodes: ["g1"] };
    });
    server.handle("vm.restart", (msg) =>
      msg.vm === "g1"
        ? { t: "vm.state", vm: msg.vm, state: "running", pid: 5151 }
        : (() => {
            throw new Error("unreachable");
          })(),
    );
    runDir = tempRunDir();
    runDir.writeAdminToken(token);
    runDir.writeState(state(server.url));
  });

  afterAll(async () => {
    await server.close();
  });

  it("reads status, with bigint counters intact", async () => {
    const client = await ControlClient.connect(runDir);
    try {
      const nodes = await client.status();
      expect(nodes).toHaveLength(1);
      expect(nodes[0]!.crng!.generation).toBe(3n);
      expect(nodes[0]!.channels[0]!.bytes).toBe(32n);
      expect(await client.status(["nope"])).toEqual([]);
      expect(client.state.controlUrl).toBe(server.url);
    } finally {
      await client.close();
    }
  });

  it("returns getrandom bytes and turns rng.errno into GuestErrnoError", async () => {
    const client = await ControlClient.connect(runDir.root);
    try {
      const data = await client.getrandom("g1", 32, 4);
      expect(data).toBeInstanceOf(Uint8Array);
      expect([...data]).toEqual(new Array(32).fill(5));
      const err = await client.getrandom("starved", 32, 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GuestErrnoError);
      const e = err as GuestErrnoError;
      expect(e.errno).toBe("EAGAIN");
      expect(e.errnoNumber).toBe(11);
      expect(e.message).toBe("getrandom(32, GRND_NONBLOCK) in guest starved: EAGAIN");
      const hw = await client.read("g1", "hwrng", 64).catch((x: unknown) => x);
      expect((hw as GuestErrnoError).errno).toBe("ENODEV");
      expect((hw as GuestErrnoError).message).toBe(
        "read(/dev/hwrng [O_RDONLY], 64) in guest g1: ENODEV",
      );
      expect((await client.read("g1", "urandom", 5, { nonblock: true })).length).toBe(5);
      await expect(client.getrandom("g1", (1 << 20) + 1, 0)).rejects.toMatchObject({
        code: "E_INVALID",
      });
    } finally {
      await client.close();
    }
  });

  it("delivers only its own subscription's events, without routing fields", async () => {
    const client = await ControlClient.connect(runDir);
    try {
      const got: ClusterEvent[] = [];
      const arrived = new Promise<void>((resolve) => {
        void client.subscribe({ nodes: ["g7"] }, (e) => {
          got.push(e);
          resolve();
        });
      });
      await arrived;
      await new Promise((r) => setTimeout(r, 30));
      expect(got).toEqual([
        {
          node: "g7",
          vtimeMs: 2.5,
          kind: "log",
          level: "info",
          message: "random: crng init done",
          data: { generation: 1n },
        },
      ]);
    } finally {
      await client.close();
    }
  });

  it("reads logs, restarts a VM, maps remote failures, and brings the cluster down", async () => {
    const client = await ControlClient.connect(runDir);
    try {
      const page = await client.logs("g1", { lines: 10 });
      expect(page).toEqual({
        node: "g1",
        lines: [{ vtimeMs: 0.5, level: 5, text: "random: crng init done" }],
        more: false,
      });
      expect(await client.restart("g1")).toEqual({ vm: "g1", state: "running", pid: 5151 });
      await expect(client.restart("zz")).rejects.toMatchObject({
        code: "E_REMOTE",
        remoteCode: "E_INTERNAL",
      });
      expect(await client.down(1234)).toEqual({ state: "down", nodes: ["g1"] });
      expect(downRequested).toBe(1234);
    } finally {
      await client.close();
    }
  });

  it("reports a lost connection through onClose, and a deliberate close without an error", async () => {
    const a = await ControlClient.connect(runDir);
    const deliberate = new Promise<unknown>((r) => a.onClose((e) => r(e ?? "none")));
    await a.close();
    expect(await deliberate).toBe("none");
    expect(a.connected).toBe(false);

    const tokens = new TokenRegistry();
    const dir = tempRunDir();
    dir.writeAdminToken(tokens.issue({ role: "client", node: "cli" }));
    const other = await createLinkServer({ role: "host", node: "host", tokens });
    dir.writeState(state(other.url));
    const b = await ControlClient.connect(dir);
    const lost = new Promise<unknown>((r) => b.onClose((e) => r(e)));
    await other.close();
    expect(await lost).toMatchObject({ code: "E_CLOSED" });
    await b.close();
  });
});

describe("ControlClient finds no cluster", () => {
  it("without state.json: ClusterNotRunningError naming the run dir", async () => {
    const dir = tempRunDir();
    const err = await ControlClient.connect(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterNotRunningError);
    expect(err).toMatchObject({ code: "E_NOT_RUNNING", reason: "no-state", runDir: dir.root });
    expect((err as Error).message).toBe(
      `no cluster is running in ${dir.root} (no state.json); start one with 'vmrng up'`,
    );
  });

  it("when the recorded host is dead", async () => {
    const dir = tempRunDir();
    const pid = deadPid();
    dir.writeState(state("ws://127.0.0.1:9/", pid));
    const err = await ControlClient.connect(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: "host-dead", hostPid: pid });
    expect((err as Error).message).toContain(`recorded host pid ${pid} is not alive`);
  });

  it("when the host is alive but refuses the token", async () => {
    const tokens = new TokenRegistry();
    tokens.issue({ role: "client", node: "cli" });
    const server = await createLinkServer({ role: "host", node: "host", tokens });
    try {
      const dir = tempRunDir();
      dir.writeAdminToken(new TokenRegistry().issue({ role: "client", node: "cli" }));
      dir.writeState(state(server.url));
      const err = await ControlClient.connect(dir).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "E_NOT_RUNNING", reason: "unreachable" });
      expect((err as Error).message).toContain("401");
    } finally {
      await server.close();
    }
  });

  it("a torn state.json is a RunStateError, not a crash", async () => {
    const dir = tempRunDir();
    writeFileSync(dir.stateFile, '{"format": 1, "hostPid":');
    await expect(ControlClient.connect(dir)).rejects.toBeInstanceOf(RunStateError);
    writeFileSync(dir.stateFile, JSON.stringify({ ...state("http://x"), controlUrl: "http://x" }));
    await expect(ControlClient.connect(dir)).rejects.toThrow(/controlUrl is not a ws:\/\/ URL/);
  });
});

describe("describeGetrandomFlags", () => {
  it("spells flags as C would, unknown bits in hex", () => {
    expect(describeGetrandomFlags(0)).toBe("0");
    expect(describeGetrandomFlags(1)).toBe("GRND_NONBLOCK");
    expect(describeGetrandomFlags(6)).toBe("GRND_RANDOM|GRND_INSECURE");
    expect(describeGetrandomFlags(0x19)).toBe("GRND_NONBLOCK|0x18");
  });
});
