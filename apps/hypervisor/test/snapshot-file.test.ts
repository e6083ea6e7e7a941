import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_GUEST } from "@vmrng/cluster";
import { describe, expect, it } from "vitest";
import {
  readSnapshot,
  snapshotPath,
  type VmSnapshot,
  writeSnapshot,
} from "../src/snapshot-file.js";

const dir = () => mkdtempSync(join(tmpdir(), "vmrng-snapfile-"));

const sample = (): VmSnapshot => ({
  vm: "web",
  hypervisor: "hv1",
  takenAt: "2026-01-01T00:00:00.000Z",
  vtimeMs: 1234.5,
  spec: { ...DEFAULT_GUEST, id: "web", hypervisor: "hv1", expect: "ready" },
  vmgenidId: Uint8Array.from({ length: 16 }, (_, i) => i),
  generationCounter: (1n << 63n) + 7n,
  state: Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff),
});

describe("snapshot files", () => {
  it("round-trip every byte and u64 exactly, written 0600 with the reported size", () => {
    const path = snapshotPath(dir(), "s1");
    const size = writeSnapshot(path, sample());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).size).toBe(size);
    const back = readSnapshot(path);
    expect(back).toEqual(sample());
    expect(back.state).toBeInstanceOf(Uint8Array);
    expect(typeof back.generationCounter).toBe("bigint");
  });

  it("a missing file is E_NOT_FOUND; a torn or foreign file is E_INVALID", () => {
    const d = dir();
    expect(() => readSnapshot(join(d, "none.snap"))).toThrow(
      expect.objectContaining({ code: "E_NOT_FOUND" }),
    );
    const path = snapshotPath(d, "s2");
    writeSnapshot(path, sample());
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.length / 2));
    expect(() => readSnapshot(path)).toThrow(expect.objectContaining({ code: "E_INVALID" }));
    writeFileSync(path, JSON.stringify({ format: "something-else" }));
    expect(() => readSnapshot(path)).toThrow(/format must be vmrng-snapshot\/1/);
    writeFileSync(path, JSON.stringify({ ...JSON.parse(text), vtimeMs: "soon" }));
    expect(() => readSnapshot(path)).toThrow(/vtimeMs/);
  });
});
