import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { atomicWriteFile } from "../src/atomic-write.js";
import { RunDir } from "../src/run-dir.js";

describe("atomicWriteFile", () => {
  it("replaces content whole, with mode 0600 and no temp file left behind", () => {
    const dir = mkdtempSync(join(tmpdir(), "atomic-"));
    const f = join(dir, "seed");
    writeFileSync(f, "old", { mode: 0o644 });
    atomicWriteFile(f, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["seed"]);
  });

  it("leaves the old file intact and no temp file when the write cannot happen", () => {
    const dir = mkdtempSync(join(tmpdir(), "atomic-"));
    const f = join(dir, "missing-dir", "x");
    expect(() => atomicWriteFile(f, "data")).toThrow(/ENOENT/);
    expect(existsSync(join(dir, "missing-dir"))).toBe(false);
  });
});

describe("RunDir", () => {
  it("creates a private tree and round-trips state and the admin token", () => {
    const root = join(mkdtempSync(join(tmpdir(), "run-")), "r");
    const rd = new RunDir(root);
    expect(rd.readState()).toBeUndefined();
    rd.create();
    expect(statSync(root).mode & 0o777).toBe(0o700);
    const state = {
      format: 1 as const,
      cluster: "c",
      hostPid: 42,
      controlUrl: "ws://127.0.0.1:1234",
      startedAt: "2026-01-01T00:00:00.000Z",
      nodes: [{ id: "host", role: "host", pid: 42 }],
    };
    rd.writeState(state);
    expect(rd.readState()).toEqual(state);
    rd.writeAdminToken("tok");
    expect(rd.readAdminToken()).toBe("tok");
    expect(statSync(rd.adminTokenFile).mode & 0o777).toBe(0o600);
    expect(rd.logFile("g1")).toBe(join(root, "logs", "g1.log"));
  });
});
