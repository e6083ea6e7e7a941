import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from "node:fs";
import type { ClusterSpec, RunDir } from "@vmrng/cluster";

/** Node ids with a log file, in cluster order: host, then each hypervisor and its guests. */
export function loggedNodes(runDir: RunDir, spec: ClusterSpec | undefined): string[] {
  if (!existsSync(runDir.logDir)) return [];
  const present = new Set(
    readdirSync(runDir.logDir)
      .filter((f) => f.endsWith(".log"))
      .map((f) => f.slice(0, -4)),
  );
  const order = [
    "host",
    ...(spec?.hypervisors.flatMap((h) => [h.id, ...h.guests.map((g) => g.id)]) ?? []),
  ];
  const known = order.filter((id) => present.has(id));
  const rest = [...present].filter((id) => !order.includes(id)).sort();
  return [...known, ...rest];
}

/**
 * Reads a growing file from where it was last read, yielding whole lines only (a partial last
 * line waits for its newline). A file that shrank was truncated or replaced: start over.
 */
export class FileTail {
  #pos = 0;
  #partial = "";
  constructor(readonly path: string) {}

  /** Skips to the last `n` lines of what is there now (all of it when n is undefined). */
  seekToLastLines(n: number | undefined): string[] {
    const lines = this.readNew();
    return n === undefined ? lines : lines.slice(Math.max(0, lines.length - n));
  }

  readNew(): string[] {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return [];
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.#pos) {
        this.#pos = 0;
        this.#partial = "";
      }
      if (size === this.#pos) return [];
      const buf = Buffer.alloc(size - this.#pos);
      let off = 0;
      while (off < buf.length) {
        const n = readSync(fd, buf, off, buf.length - off, this.#pos + off);
        if (n === 0) break;
        off += n;
      }
      this.#pos += off;
      const text = this.#partial + buf.subarray(0, off).toString("utf8");
      const parts = text.split("\n");
      this.#partial = parts.pop() ?? "";
      return parts;
    } finally {
      closeSync(fd);
    }
  }

  /** The unterminated last line, if any (printed when following stops). */
  flushPartial(): string[] {
    const p = this.#partial;
    this.#partial = "";
    return p ? [p] : [];
  }
}
