import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { RunDir } from "@vmrng/cluster";
import { CliError, ExitCode } from "../exit-codes.js";
import { isRunning } from "../process/pids.js";

/**
 * Held by `vmrng up` from its check that no cluster runs until the host has recorded itself, so
 * two `up`s racing on one run directory cannot both start a host. O_EXCL creation is the lock;
 * a lock whose owner died is taken over.
 */
export class StartLock {
  readonly path: string;
  #held = false;

  constructor(runDir: RunDir) {
    this.path = join(runDir.root, "up.lock");
  }

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, "wx", 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.#held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const owner = Number.parseInt(readFileSync(this.path, "utf8"), 10);
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner))
        throw new CliError(
          `another 'vmrng up' (pid ${owner}) is starting a cluster in ${this.path.slice(0, -"/up.lock".length)}`,
          ExitCode.ALREADY_RUNNING,
        );
      rmSync(this.path, { force: true });
    }
    throw new CliError(`could not take ${this.path}`, ExitCode.FAILURE);
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    rmSync(this.path, { force: true });
  }
}
