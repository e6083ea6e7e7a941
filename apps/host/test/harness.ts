import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive, type NodeChild, parseClusterText, RunDir, spawnNode } from "@vmrng/cluster";
import { type ClusterEvent, ControlClient } from "@vmrng/cluster/control";
import { connectLink, type LinkClient, type NodeStatus } from "@vmrng/wire";

const HOST_MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** A real cluster (host → hypervisors → guests, real processes) in a temp run directory. */
export interface TestCluster {
  runDir: RunDir;
  host: NodeChild;
  control: ControlClient;
  /** A raw admin Link, for requests ControlClient does not wrap (mem.read, cpu.rdmsr). */
  raw: LinkClient;
  events: ClusterEvent[];
  status(node: string): Promise<NodeStatus>;
  /** Waits until `pred` holds for the node's status (polling), or throws after `ms`. */
  waitFor(node: string, pred: (s: NodeStatus) => boolean, ms?: number): Promise<NodeStatus>;
  stop(): Promise<void>;
}

export async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startCluster(yaml: string): Promise<TestCluster> {
  if (!existsSync(HOST_MAIN))
    throw new Error(`${HOST_MAIN} is missing: run the build first (pnpm test does)`);
  const runDir = new RunDir(join(mkdtempSync(join(tmpdir(), "vmrng-it-")), "run"));
  runDir.create();
  writeFileSync(runDir.clusterFile, JSON.stringify(parseClusterText(yaml, "test.yaml")));
  const host = spawnNode(HOST_MAIN, {
    id: "host",
    args: ["--run-dir", runDir.root],
    logFile: join(runDir.root, "host.stdio.log"),
  });
  await until(() => (runDir.readState() ? true : undefined), 10_000, "the host's state.json");
  const control = await ControlClient.connect(runDir);
  const events: ClusterEvent[] = [];
  await control.subscribe({}, (e) => events.push(e));
  const state = runDir.readState()!;
  const raw = connectLink({
    url: state.controlUrl,
    token: runDir.readAdminToken(),
    role: "client",
    node: "cli",
    reconnect: false,
  });
  await raw.opened();
  const status = async (node: string) => {
    const [s] = await control.status([node]);
    if (!s) throw new Error(`no status for ${node}`);
    return s;
  };
  return {
    runDir,
    host,
    control,
    raw,
    events,
    status,
    waitFor: (node, pred, ms = 15_000) =>
      until(
        async () => {
          const s = await status(node).catch(() => undefined);
          return s && pred(s) ? s : undefined;
        },
        ms,
        `${node} to reach the expected state`,
      ),
    stop: async () => {
      const pids = runDir.readState()?.nodes.map((n) => n.pid) ?? [];
      await control.down(5000).catch(() => undefined);
      await control.close().catch(() => undefined);
      await raw.close().catch(() => undefined);
      await Promise.race([host.exited, new Promise((r) => setTimeout(r, 8000))]);
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    },
  };
}
