import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { atomicWriteFile } from "./atomic-write.js";

/** Default run directory, overridden by --run-dir or VMRNG_RUN_DIR. */
export const DEFAULT_RUN_DIR = ".vmrng";

/** What a running cluster records about itself so that later commands can find it. */
export interface RunState {
  /** Bumped if this layout changes incompatibly. */
  format: 1;
  cluster: string;
  hostPid: number;
  /** ws://127.0.0.1:PORT of the host's control endpoint. */
  controlUrl: string;
  /** TCP port of the host's EGD server on 127.0.0.1, when `host.egd.enabled`. */
  egdPort?: number;
  /** Absolute path of the EGD server's Unix socket, when one is configured. */
  egdSocket?: string;
  startedAt: string;
  /** Every process of the cluster (host, hypervisors, guests) with its pid, for `down`. */
  nodes: { id: string; role: string; pid: number }[];
}

/** The files of one cluster's run directory. */
export class RunDir {
  readonly root: string;
  constructor(root: string = process.env.VMRNG_RUN_DIR ?? DEFAULT_RUN_DIR) {
    this.root = resolve(root);
  }
  get stateFile(): string {
    return join(this.root, "state.json");
  }
  get adminTokenFile(): string {
    return join(this.root, "admin.token");
  }
  get clusterFile(): string {
    return join(this.root, "cluster.json");
  }
  get historyFile(): string {
    return join(this.root, "history.jsonl");
  }
  get logDir(): string {
    return join(this.root, "logs");
  }
  logFile(node: string): string {
    return join(this.logDir, `${node}.log`);
  }
  get snapshotDir(): string {
    return join(this.root, "snapshots");
  }
  get seedDir(): string {
    return join(this.root, "seeds");
  }

  /** Where the EGD Unix socket of the cluster file lives: a relative path is inside the run dir. */
  egdSocketPath(configured: string): string {
    return isAbsolute(configured) ? configured : join(this.root, configured);
  }

  /** Creates the directory tree, private to the user (0700). */
  create(): void {
    for (const d of [this.root, this.logDir, this.snapshotDir, this.seedDir]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
    }
  }

  writeState(state: RunState): void {
    atomicWriteFile(this.stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  /** The recorded state, or undefined when no cluster has run here. */
  readState(): RunState | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    return JSON.parse(readFileSync(this.stateFile, "utf8")) as RunState;
  }

  writeAdminToken(token: string): void {
    atomicWriteFile(this.adminTokenFile, `${token}\n`, 0o600);
  }

  readAdminToken(): string {
    return readFileSync(this.adminTokenFile, "utf8").trim();
  }
}
