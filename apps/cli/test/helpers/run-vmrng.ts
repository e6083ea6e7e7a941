import { type SpawnOptions, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built binary these tests exercise (never the source): `pnpm test` builds it first. */
export const VMRNG = fileURLToPath(new URL("../../dist/main.js", import.meta.url));
export const HOST_MAIN = fileURLToPath(new URL("../../../host/dist/main.js", import.meta.url));

export function requireBuilt(path: string): void {
  // A missing build is a failure to report, never a reason to skip.
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'pnpm build' first`);
}

export interface VmrngResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `node apps/cli/dist/main.js ...args` to completion, capturing both streams. */
export function vmrng(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<VmrngResult> {
  requireBuilt(VMRNG);
  const spawnOpts: SpawnOptions = {
    env: { ...process.env, NO_COLOR: "1", VMRNG_RUN_DIR: undefined, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  };
  const child = spawn(process.execPath, [VMRNG, ...args], spawnOpts);
  const out: Buffer[] = [];
  let err = "";
  child.stdout!.on("data", (b: Buffer) => out.push(b));
  child.stderr!.on("data", (b: Buffer) => {
    err += b.toString("utf8");
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
  });
}
