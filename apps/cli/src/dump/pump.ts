import type { Writable } from "node:stream";

export interface PumpOptions {
  /** Largest single read (the wire carries at most 1 MiB). */
  chunk: number;
  /** Reads in flight at once: enough to hide the round trip, few enough to bound memory. */
  depth: number;
  onProgress?: (written: number) => void;
}

export interface PumpResult {
  written: number;
  /** The reader went away (EPIPE or the stream closed): not an error for `vmrng dump | head`. */
  closed: boolean;
}

/** A read returned no bytes: the source ended before `total` (read(2)'s 0 is end of file). */
export class ShortSourceError extends Error {
  readonly code = "E_SHORT_SOURCE";
  constructor(
    readonly written: number,
    readonly total: number,
  ) {
    super(`the source ended after ${written} of ${total} bytes`);
    this.name = "ShortSourceError";
  }
}

const isClosedPipe = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ECONNRESET";
};

/**
 * Copies exactly `total` bytes from `read` to `out`, in order. At most `depth` reads are in
 * flight, and none is issued while `out` wants draining, so memory stays bounded by
 * depth × chunk however slow the consumer is. Short reads are fine: later reads ask for the rest.
 */
export async function pump(
  total: number,
  read: (len: number) => Promise<Uint8Array>,
  out: Writable,
  opts: PumpOptions,
): Promise<PumpResult> {
  let closed = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const onError = (err: unknown): void => {
    if (isClosedPipe(err)) closed = true;
    else failure ??= err;
    wake?.();
  };
  const onClose = (): void => {
    closed = true;
    wake?.();
  };
  out.on("error", onError);
  out.on("close", onClose);

  const inflight: { len: number; data: Promise<Uint8Array> }[] = [];
  let asked = 0; // bytes requested by reads still in flight
  let written = 0;
  try {
    while (written < total && !closed && failure === undefined) {
      while (inflight.length < opts.depth && written + asked < total && !out.writableNeedDrain) {
        const len = Math.min(opts.chunk, total - written - asked);
        const data = read(len);
        data.catch(() => {}); // observed below; never an unhandled rejection if we stop early
        inflight.push({ len, data });
        asked += len;
      }
      const head = inflight.shift();
      if (head === undefined) {
        // Everything is requested and written except what waits for 'drain'.
        await new Promise<void>((resolve) => {
          wake = resolve;
          out.once("drain", resolve);
        });
        out.off("drain", wake!);
        wake = undefined;
        continue;
      }
      const data = await head.data;
      asked -= head.len;
      if (data.length === 0) throw new ShortSourceError(written, total);
      const piece = data.length > head.len ? data.subarray(0, head.len) : data;
      if (closed) break;
      out.write(piece);
      written += piece.length;
      opts.onProgress?.(written);
    }
  } finally {
    out.off("error", onError);
    out.off("close", onClose);
    // Keep swallowing late EPIPEs: the process must not die on them after we are done.
    out.on("error", () => {});
  }
  if (failure !== undefined) throw failure;
  return { written, closed };
}
