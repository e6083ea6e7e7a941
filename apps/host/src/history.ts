import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

/**
 * The cluster's event history: one JSON document per line, appended. Each line goes out in a
 * single write(2) on an O_APPEND descriptor, so a crash can at worst lose the tail, never
 * interleave or tear earlier lines; readers skip an incomplete last line.
 */
export class History {
  private fd: number | null;
  private lines = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a", 0o600);
  }

  append(record: Record<string, unknown>): void {
    if (this.fd === null) return;
    const line = `${JSON.stringify(record, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v))}\n`;
    writeSync(this.fd, line);
    this.lines += 1;
  }

  get count(): number {
    return this.lines;
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}
