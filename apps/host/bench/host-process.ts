import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive, parseClusterText, RunDir, type RunState, spawnNode } from "@vmrng/cluster";
import { ControlClient } from "@vmrng/cluster/control";
import type { EgdStatus } from "@vmrng/wire";

const HOST_MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** The real vmrng host process with its EGD server on, no emulated guests. */
export async function startEgdHost(): Promise<{
  state: RunState;
  egdStatus(): Promise<EgdStatus>;
  stop(): Promise<void>;
}> {
  const root = mkdtempSync(join(tmpdir(), "vmrng-egd-bench-"));
  const runDir = new RunDir(join(root, "run"));
  runDir.create();
  const spec = parseClusterText(
    "name: egd-bench\nhost:\n  egd: { enabled: true, socketPath: egd.sock }\nhypervisors: [{ id: hv1, guests: [] }]\n",
    "egd-bench.yaml",
  );
  writeFileSync(runDir.clusterFile, JSON.stringify(spec));
  const host = spawnNode(HOST_MAIN, {
    id: "host",
    args: ["--run-dir", runDir.root],
    logFile: join(runDir.root, "host.stdio.log"),
  });
  const end = Date.now() + 15_000;
  let state = runDir.readState();
  while (!state?.egdPort) {
    if (Date.now() > end)
      throw new Error(`the host did not record its EGD port (see ${runDir.root})`);
    await new Promise((r) => setTimeout(r, 50));
    state = runDir.readState();
  }
  return {
    state,
    egdStatus: async () => {
      const client = await ControlClient.connect(runDir);
      try {
        const [h] = await client.status(["host"]);
        if (!h?.egd) throw new Error("the host reports no EGD server");
        return h.egd;
      } finally {
        await client.close();
      }
    },
    stop: async () => {
      const pids = runDir.readState()?.nodes.map((n) => n.pid) ?? [];
      process.kill(host.pid!, "SIGTERM");
      await Promise.race([host.exited, new Promise((r) => setTimeout(r, 8000))]);
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
      rmSync(root, { recursive: true, force: true });
    },
  };
}
