import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunState } from "@vmrng/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forceDown, pidAlive, readState } from "./helpers/cluster.js";
import { HOST_MAIN, requireBuilt, VMRNG, vmrng } from "./helpers/run-vmrng.js";

const TRIO = fileURLToPath(new URL("./fixtures/trio.yaml", import.meta.url));
const tempRunDir = (): string => join(mkdtempSync(join(tmpdir(), "vmrng-proc-")), "run");

describe("a detached three-guest cluster", () => {
  const runDir = tempRunDir();
  const seen = new Set<number>();
  let state: RunState;
  let upJson: {
    ok: boolean;
    guests: { id: string; state: string; expect: string }[];
    hostPid: number;
  };

  beforeAll(async () => {
    // The host must be built: if it is not, this fails (it never skips).
    requireBuilt(HOST_MAIN);
    const r = await vmrng(
      ["up", "-f", TRIO, "--detach", "--wait", "--timeout", "30", "--json", "--run-dir", runDir],
      {
        timeoutMs: 45_000,
      },
    );
    if (r.code !== 0) throw new Error(`up exited ${r.code}: ${r.stderr}`);
    upJson = JSON.parse(r.stdout.toString());
    state = readState(runDir)!;
    for (const n of state.nodes) seen.add(n.pid);
  }, 60_000);

  afterAll(async () => {
    await forceDown(runDir, seen);
  }, 30_000);

  it("up --detach --wait returns once every guest reached its boot target", () => {
    expect(upJson.ok).toBe(true);
    expect(upJson.guests.map((g) => [g.id, g.expect, g.state])).toEqual([
      ["g1", "ready", "reached"],
      ["g2", "ready", "reached"],
      ["g3", "ready", "reached"],
    ]);
    expect(upJson.hostPid).toBe(state.hostPid);
    expect(state.nodes.map((n) => n.id).sort()).toEqual(["g1", "g2", "g3", "host", "hv1", "hv2"]);
    for (const n of state.nodes) expect(pidAlive(n.pid), n.id).toBe(true);
  });

  it("status --json reports every node with its CRNG and channels", async () => {
    const r = await vmrng(["status", "--json", "--run-dir", runDir]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout.toString());
    expect(doc.format).toBe(1);
    expect(doc.runDir).toBe(runDir);
    expect(doc.cluster).toBe("trio");
    expect(doc.hostPid).toBe(state.hostPid);
    const byId = new Map<string, Record<string, unknown>>(
      doc.nodes.map((n: { id: string }) => [n.id, n]),
    );
    expect([...byId.keys()].sort()).toEqual(["g1", "g2", "g3", "host", "hv1", "hv2"]);
    const pidOf = new Map(state.nodes.map((n) => [n.id, n.pid]));
    for (const [id, n] of byId) {
      expect(n.pid, id).toBe(pidOf.get(id));
      expect(n.state, id).toBe("running");
    }
    expect(byId.get("host")!.role).toBe("host");
    expect(byId.get("hv2")!.role).toBe("hypervisor");
    for (const [id, hv] of [
      ["g1", "hv1"],
      ["g2", "hv1"],
      ["g3", "hv2"],
    ]) {
      const g = byId.get(id!) as {
        role: string;
        hypervisor: string;
        uptimeMs: number;
        crng: { init: string; entropyAvail: number; generation: string; timeToReadyMs: number };
        bootTarget: { state: string };
        channels: { channel: string; bytes: string }[];
      };
      expect(g.role).toBe("guest");
      expect(g.hypervisor).toBe(hv);
      expect(g.crng.init).toBe("READY");
      expect(g.crng.entropyAvail).toBe(256);
      expect(g.crng.generation).toMatch(/^[1-9]\d*$/);
      expect(g.crng.timeToReadyMs).toBeGreaterThanOrEqual(0);
      expect(g.crng.timeToReadyMs).toBeLessThanOrEqual(g.uptimeMs);
      expect(g.bootTarget.state).toBe("reached");
      for (const c of g.channels) expect(c.bytes).toMatch(/^\d+$/);
    }
    // The boot loader's SETUP_RNG_SEED is 32 bytes; g3 got its entropy from virtio-rng.
    const g1 = byId.get("g1") as { channels: { channel: string; bytes: string }[] };
    expect(g1.channels.find((c) => c.channel === "setup_data")?.bytes).toBe("32");
    const g3 = byId.get("g3") as { channels: { channel: string; bytes: string }[] };
    expect(Number(g3.channels.find((c) => c.channel === "virtio-rng")?.bytes)).toBeGreaterThan(0);
  });

  it("getrandom -n 32 gives 32 raw bytes that differ between calls and between guests", async () => {
    const a = await vmrng(["getrandom", "g1", "-n", "32", "--run-dir", runDir]);
    const b = await vmrng(["getrandom", "g1", "-n", "32", "--run-dir", runDir]);
    const c = await vmrng(["getrandom", "g2", "-n", "32", "--nonblock", "--run-dir", runDir]);
    for (const r of [a, b, c]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBe(32);
    }
    expect(a.stdout.equals(b.stdout)).toBe(false);
    expect(a.stdout.equals(c.stdout)).toBe(false);
    expect(b.stdout.equals(c.stdout)).toBe(false);
    const hex = await vmrng(["getrandom", "g3", "-n", "16", "--hex", "--run-dir", runDir]);
    expect(hex.stdout.toString()).toMatch(/^[0-9a-f]{32}\n$/);
    const inval = await vmrng(["getrandom", "g1", "--flags", "6", "--run-dir", runDir]);
    expect(inval.code).toBe(6);
    expect(inval.stderr).toBe(
      "vmrng: getrandom(32, GRND_RANDOM|GRND_INSECURE) in guest g1: EINVAL (invalid flags)\n",
    );
    const nobody = await vmrng(["getrandom", "nobody", "--run-dir", runDir]);
    expect(nobody.code).toBe(8);
  });

  it("dump -n 1M writes exactly 1,048,576 bytes", async () => {
    const r = await vmrng(["dump", "g1", "-n", "1M", "--run-dir", runDir], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(1_048_576);
    expect(r.stderr).toBe(""); // no progress bar off a terminal
    // Not a constant fill: every byte value shows up in a MiB of CRNG output.
    expect(new Set(r.stdout).size).toBe(256);
  });

  it("dump into a pipe that closes early (head -c 10) ends quietly with exit 0", () => {
    const r = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${VMRNG}" dump g1 -n 100M --run-dir "${runDir}" | head -c 10 | wc -c; echo "\${PIPESTATUS[0]}"`,
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stdout.split("\n").map((l) => l.trim())).toEqual(["10", "0", ""]);
    expect(r.stderr).toBe("");
  });

  it("logs shows a guest's kernel log", async () => {
    const r = await vmrng(["logs", "g1", "--run-dir", runDir]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toContain("random: crng init done");
  });

  it("refuses a second up in the same run dir", async () => {
    const r = await vmrng(["up", "-f", TRIO, "--detach", "--run-dir", runDir]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`is already running in ${runDir} (host pid ${state.hostPid})`);
  });

  it("down leaves no process of the cluster and no state", async () => {
    for (const n of readState(runDir)?.nodes ?? []) seen.add(n.pid);
    const r = await vmrng(["down", "--run-dir", runDir], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^vmrng: cluster "trio" stopped \(6 processes\)/);
    for (const pid of seen) expect(pidAlive(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(join(runDir, "state.json"))).toBe(false);
    const after = await vmrng(["status", "--run-dir", runDir]);
    expect(after.code).toBe(3);
    expect(after.stderr).toBe(
      `vmrng: no cluster is running in ${runDir} (no state.json); start one with 'vmrng up'\n`,
    );
  });
});

describe("a guest that cannot reach its boot target", () => {
  const runDir = tempRunDir();
  afterAll(() => forceDown(runDir), 30_000);

  it("up --wait exits 4 naming it, and getrandom --nonblock there exits 5 with EAGAIN", async () => {
    requireBuilt(HOST_MAIN);
    // g3 starved via --set: no seed, no RDRAND, no virtio-rng, no MSR, no interrupts.
    const up = await vmrng(
      [
        "up",
        "-f",
        TRIO,
        "--set",
        "guest:g3.virtioRng.enabled=false",
        "--set",
        "guest:g3.msr.enabled=false",
        "--set",
        "guest:g3.interrupts.perSecond=0",
        "--detach",
        "--wait",
        "--timeout",
        "3",
        "--run-dir",
        runDir,
      ],
      { timeoutMs: 30_000 },
    );
    expect(up.code).toBe(4);
    expect(up.stderr).toContain("1 of 3 guests did not reach their boot target:");
    expect(up.stderr).toMatch(
      /g3 missed its boot target \(expect ready\) within 3 s: crng (EMPTY|EARLY)/,
    );
    // The cluster keeps running for inspection.
    const eagain = await vmrng(["getrandom", "g3", "--nonblock", "--run-dir", runDir]);
    expect(eagain.code).toBe(5);
    expect(eagain.stderr).toBe(
      "vmrng: getrandom(32, GRND_NONBLOCK) in guest g3: EAGAIN (crng not ready)\n",
    );
    const insecure = await vmrng([
      "getrandom",
      "g3",
      "--insecure",
      "-n",
      "16",
      "--run-dir",
      runDir,
    ]);
    expect(insecure.code).toBe(0);
    expect(insecure.stdout.length).toBe(16);
  }, 45_000);
});

describe("a foreground cluster", () => {
  const runDir = tempRunDir();
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill("SIGKILL");
    await forceDown(runDir);
  }, 30_000);

  it("prints prefixed kernel lines and stops everything on SIGINT (exit 130)", async () => {
    requireBuilt(HOST_MAIN);
    child = spawn(process.execPath, [VMRNG, "up", "-f", TRIO, "--run-dir", runDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    const deadline = Date.now() + 30_000;
    const ready = (id: string) =>
      new RegExp(`^${id}\\s+\\| \\[\\s*\\d+\\.\\d{6}\\] random: crng init done$`, "m");
    while (!["g1", "g2", "g3"].every((g) => ready(g).test(out)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toMatch(ready("g1"));
    expect(out).toMatch(ready("g2"));
    expect(out).toMatch(ready("g3"));
    expect(out).not.toContain("\x1b["); // no colors or live table off a terminal
    const pids = new Set((readState(runDir)?.nodes ?? []).map((n) => n.pid));
    expect(pids.size).toBe(6);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(err).toContain("SIGINT: stopping the cluster");
    for (const pid of pids) expect(pidAlive(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(join(runDir, "state.json"))).toBe(false);
  }, 45_000);
});
