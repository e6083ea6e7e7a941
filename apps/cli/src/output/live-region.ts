import { SGR_AT_START, stripAnsi } from "./colors.js";

/** Cuts a styled line to `cols` visible columns, keeping escape sequences intact. */
export function truncateVisible(line: string, cols: number): string {
  if (stripAnsi(line).length <= cols) return line;
  let out = "";
  let visible = 0;
  for (let i = 0; i < line.length; ) {
    const esc = SGR_AT_START.exec(line.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    if (visible >= cols - 1) break;
    out += line[i];
    visible++;
    i++;
  }
  return `${out}…\x1b[0m`;
}

/**
 * A block of lines kept at the bottom of a terminal (the live guest table) while log lines
 * scroll above it, the way compose and buildkit draw progress. Log lines are batched so a burst
 * of kernel messages costs one redraw.
 */
export class LiveRegion {
  readonly #out: NodeJS.WriteStream;
  #block: string[] = [];
  #drawn = 0;
  #pending: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  log(line: string): void {
    this.#pending.push(line);
    this.#timer ??= setTimeout(() => this.flush(), 30);
  }

  setBlock(lines: string[]): void {
    this.#block = lines;
    this.flush();
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const cols = this.#out.columns ?? 120;
    const rows = this.#out.rows ?? 40;
    let text = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : "";
    if (this.#pending.length) text += `${this.#pending.join("\n")}\n`;
    this.#pending = [];
    // Keep the block on screen: never taller than the terminal, never wrapping.
    const max = Math.max(1, rows - 2);
    const block =
      this.#block.length > max
        ? [...this.#block.slice(0, max - 1), `… ${this.#block.length - max + 1} more`]
        : this.#block;
    for (const l of block) text += `${truncateVisible(l, cols)}\n`;
    this.#drawn = block.length;
    this.#out.write(text);
  }

  /** Prints what is pending and leaves the last block on screen as ordinary output. */
  close(): void {
    this.flush();
    this.#drawn = 0;
  }
}
