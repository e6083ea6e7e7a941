import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import type { HistoryRecord } from "@vmrng/scenario";

/** A record before the writer numbers and stamps it. */
export type RecordBody = HistoryRecord extends infer R
  ? R extends HistoryRecord
    ? Omit<R, "seq" | "at">
    : never
  : never;

/** Byte arrays become lower-case hex and bigints decimal strings, as history values must. */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  return v;
}

/**
 * The run's history (scenario-history.jsonl): one JSON object per line, `seq` from 1, `at` = wall
 * ms since the run started. Each line is one write(2) on an O_APPEND descriptor, so a crash can
 * only tear the last line (which parseHistory skips), never interleave two. The records are kept
 * in memory too: the checkers read them at the end without re-parsing the file.
 */
export class HistoryWriter {
  #fd: number | null;
  #seq = 0;
  readonly records: HistoryRecord[] = [];

  constructor(
    readonly path: string,
    /** Date.now() at the run's start: `at` is measured from here. */
    readonly startedAt: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#fd = openSync(path, "a", 0o600);
  }

  /** Wall ms since the run started. */
  elapsed(): number {
    return this.now() - this.startedAt;
  }

  /**
   * Appends one record. `at` defaults to now; a caller that knows better (an event backfilled
   * from the host's own history, stamped when the host saw it) passes it.
   */
  append(body: RecordBody, at?: number): HistoryRecord {
    const when = at === undefined ? this.elapsed() : Math.min(at, this.elapsed());
    const record = { seq: ++this.#seq, at: when, ...body } as HistoryRecord;
    // Round-trip through JSON so the in-memory copy is exactly what the file says (hex, no bigint).
    const line = JSON.stringify(record, jsonValue);
    const stored = JSON.parse(line) as HistoryRecord;
    this.records.push(stored);
    if (this.#fd !== null) writeSync(this.#fd, `${line}\n`);
    return stored;
  }

  get closed(): boolean {
    return this.#fd === null;
  }

  close(): void {
    if (this.#fd === null) return;
    try {
      fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
      this.#fd = null;
    }
  }
}
