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
