import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAlive, spawnNode, stopChild } from "../src/process/spawn-node.js";

const fixture = join(import.meta.dirname, "fixtures", "child.mjs");

async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("spawnNode", () => {
  it("captures stdout and stderr lines to the log and the callback, and reports the exit code", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "spawn-")), "c.log");
    const lines: string[] = [];
    const c = spawnNode(fixture, {
      id: "c",
      args: ["exit3"],
      logFile: log,
      onLine: (l, s) => lines.push(`${s}:${l}`),
    });
    expect(await c.exited).toBe(3);
    expect(lines).toContain(`stdout:hello from ${c.pid}`);
    expect(lines).toContain("stderr:to stderr");
    expect(readFileSync(log, "utf8")).toContain(`hello from ${c.pid}\n`);
  });

  it("stops gracefully with SIGTERM, and forcibly after the grace period", async () => {
    const idle = spawnNode(fixture, { id: "i", args: ["ignore-term"] });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    expect(await stopChild(idle, 300)).toBe(128 + 9);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(isAlive(idle.pid)).toBe(false);
  });

  it("a grandchild exits when its parent is SIGKILLed: no orphans", async () => {
    let grandchild = 0;
    const parent = spawnNode(fixture, {
      id: "p",
      args: ["parent"],
      onLine: (l) => {
        const m = /^grandchild (\d+)$/.exec(l);
        if (m) grandchild = Number(m[1]);
      },
    });
    await waitFor(() => grandchild > 0);
    expect(isAlive(grandchild)).toBe(true);
    parent.proc.kill("SIGKILL");
    await parent.exited;
    await waitFor(() => !isAlive(grandchild));
  });
});

describe("isAlive", () => {
  it("is false for a zombie: exited but not yet reaped by its parent", async () => {
    const { spawn } = await import("node:child_process");
    // A parent that forks a child which exits at once, and never reaps it while it sleeps.
    // SIGCHLD is reset to its default first: a test worker may have it ignored, and then the
    // kernel reaps children itself and no zombie ever exists.
    const script =
      "import os, signal, sys, time\n" +
      "signal.signal(signal.SIGCHLD, signal.SIG_DFL)\n" +
      "pid = os.fork()\n" +
      "if pid == 0: os._exit(0)\n" +
      "print(pid, flush=True); time.sleep(5)\n";
    const sh = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
    const zombie = await new Promise<number>((resolve) =>
      sh.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    await waitFor(() => {
      try {
        return readFileSync(`/proc/${zombie}/stat`, "utf8").includes(") Z ");
      } catch {
        return false;
      }
    });
    expect(isAlive(zombie)).toBe(false);
    expect(isAlive(sh.pid!)).toBe(true);
    sh.kill("SIGKILL");
  });
});
