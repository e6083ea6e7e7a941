import { formatBytes } from "../byte-size.js";

/**
 * A one-line progress bar on a terminal (stderr), redrawn at most 10 times a second; does
 * nothing when the stream is not a TTY, so pipes and logs stay clean.
 */
export class ProgressBar {
  readonly #out: NodeJS.WriteStream;
  readonly #total: number;
  readonly #label: string;
  readonly #start = performance.now();
  readonly #active: boolean;
  #last = 0;

  constructor(out: NodeJS.WriteStream, total: number, label: string) {
    this.#out = out;
    this.#total = total;
    this.#label = label;
    this.#active = out.isTTY === true;
  }

  update(done: number, force = false): void {
    if (!this.#active) return;
    const now = performance.now();
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    const frac = this.#total === 0 ? 1 : done / this.#total;
    const width = 24;
    const filled = Math.round(frac * width);
    const secs = (now - this.#start) / 1000;
    const rate = secs > 0 ? formatBytes(done / secs) : "-";
    const line =
      `${this.#label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
      `${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(done)} / ${formatBytes(this.#total)}  ${rate}/s`;
    this.#out.write(`\r\x1b[2K${line.slice(0, Math.max(10, (this.#out.columns ?? 80) - 1))}`);
  }

  /** Clears the bar's line. */
  end(): void {
    if (this.#active) this.#out.write("\r\x1b[2K");
  }
}
