import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forceDown, readState } from "./helpers/cluster.js";
import { HOST_MAIN, requireBuilt, vmrng } from "./helpers/run-vmrng.js";

const FORK = fileURLToPath(new URL("./fixtures/fork.yaml", import.meta.url));

describe("vmrng snapshot, clone and restore against a real cluster", () => {
  const tmp = mkdtempSync(join(tmpdir(), "vmrng-snap-"));
  const runDir = join(tmp, "run");
  const file = join(tmp, "web.snap");
  const seen = new Set<number>();
  const run = (...args: string[]) => vmrng([...args, "--run-dir", runDir], { timeoutMs: 40_000 });
  const statusDoc = async () => {
    const r = await run("status", "--json");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout.toString()) as {
      nodes: { id: string; state: string; crng?: { init: string } }[];
    };
  };

  beforeAll(async () => {
    requireBuilt(HOST_MAIN);
    const r = await vmrng(
      ["up", "-f", FORK, "--detach", "--wait", "--timeout", "30", "--run-dir", runDir],
      {
        timeoutMs: 45_000,
      },
    );
    if (r.code !== 0) throw new Error(`up exited ${r.code}: ${r.stderr}`);
    for (const n of readState(runDir)?.nodes ?? []) seen.add(n.pid);
  }, 60_000);
  afterAll(async () => {
    for (const n of readState(runDir)?.nodes ?? []) seen.add(n.pid);
    await forceDown(runDir, seen);
  }, 30_000);

  it("snapshot -o writes a 0600 vmrng snapshot of the guest", async () => {
    const r = await run("snapshot", "web", "-o", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(
      /^web: snapshot \S+ \(\d+ bytes at guest time \d+\.\d{3} s\) -> /,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    expect(doc).toMatchObject({ format: "vmrng-snapshot/1", vm: "web", hypervisor: "hv1" });
  }, 30_000);

  it("clone --count 2 starts web-c1 and web-c2, READY, under hv1", async () => {
    const r = await run("clone", "web", "--count", "2");
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/web-c1: running, cloned from web[\s\S]*web-c2: running/);
    const doc = await statusDoc();
    for (const id of ["web-c1", "web-c2"]) {
      const n = doc.nodes.find((x) => x.id === id);
      expect(n?.crng?.init, id).toBe("READY");
    }
  }, 40_000);

  it("restore FILE --as a new id starts a VM from the file; without --as it replaces web", async () => {
    const r = await run("restore", file, "--as", "web-r");
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toContain("web-r: running, restored from a snapshot of web");
    const back = await run("restore", file);
    expect(back.code).toBe(0);
    expect(back.stdout.toString()).toMatch(/^web: running \(pid \d+\)/);
    const doc = await statusDoc();
    expect(doc.nodes.find((x) => x.id === "web-r")?.crng?.init).toBe("READY");
    expect(doc.nodes.find((x) => x.id === "web")?.crng?.init).toBe("READY");
  }, 40_000);

  it("kexec hands the next kernel a seed: READY from setup_data at time 0", async () => {
    const r = await run("kexec", "web");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^web: running in a new kernel \(pid \d+\)/);
    const doc = await run("status", "--json");
    const web = (
      JSON.parse(doc.stdout.toString()) as {
        nodes: {
          id: string;
          crng?: { init: string; readySource: string | null; timeToReadyMs: number | null };
        }[];
      }
    ).nodes.find((n) => n.id === "web");
    expect(web?.crng?.init).toBe("READY");
    expect(web?.crng?.readySource).toBe("setup_data seed");
    expect(web?.crng?.timeToReadyMs).toBeLessThan(1);
    const ghost = await run("kexec", "ghost");
    expect(ghost.code).toBe(8);
  }, 40_000);

  it("bad input: unknown guest (exit 8), a file that is not a snapshot (exit 2), a bad count (exit 2)", async () => {
    const ghost = await run("snapshot", "ghost");
    expect(ghost.code).toBe(8);
    expect(ghost.stderr).toContain('no node "ghost"');
    const notSnap = await run("restore", FORK);
    expect(notSnap.code).toBe(2);
    expect(notSnap.stderr).toContain("is not a vmrng snapshot");
    const count = await run("clone", "web", "--count", "0");
    expect(count.code).toBe(2);
    expect(count.stderr).toContain("expected a clone count from 1 to 1000");
    const help = await vmrng(["clone", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toContain("Usage: vmrng clone [options] <guest>");
  }, 40_000);
});
