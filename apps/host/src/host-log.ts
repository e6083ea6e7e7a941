import { closeSync, openSync, writeSync } from "node:fs";

/**
 * The host's own log (logs/host.log, what `vmrng logs host` shows): one line per message,
 * `<ISO time> <level> <text>`, each a single append write so lines never interleave.
 */
export class HostLog {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a", 0o600);
  }

  write(level: string, message: string): void {
    if (this.fd === null) return;
    writeSync(this.fd, `${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
