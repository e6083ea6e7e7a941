/** printk levels (include/linux/kern_levels.h), KERN_EMERG "0" .. KERN_DEBUG "7". */
export type LogLevel = "emerg" | "alert" | "crit" | "err" | "warning" | "notice" | "info" | "debug";

export interface KernelLogLine {
  /** Virtual ms since boot. */
  at: number;
  level: LogLevel;
  /** The message without timestamp, e.g. "random: crng init done". */
  text: string;
  /** As dmesg prints it: "[    0.000000] random: crng init done". */
  line: string;
  /**
   * true: Linux prints this very line. false: a vmrng diagnostic (prefixed "vmrng: ") or the
   * lab's own CommonHV driver, which has no upstream counterpart.
   */
  upstream: boolean;
}

/**
 * The printk timestamp prefix: "[%5lu.%06lu] " of seconds and microseconds of local_clock()
 * (kernel/printk/printk.c, print_time()).
 */
export function printkTimestamp(ms: number): string {
  const us = Math.max(0, Math.floor(ms * 1000 + 1e-6));
  const sec = Math.floor(us / 1_000_000);
  const frac = us % 1_000_000;
  return `[${String(sec).padStart(5, " ")}.${String(frac).padStart(6, "0")}] `;
}

/** The printk ring: bounded, oldest lines overwritten first, like log_buf. */
export class KernelLog {
  private buf: KernelLogLine[] = [];
  private droppedLines = 0;

  constructor(private readonly max: number) {}

  push(at: number, level: LogLevel, text: string, upstream: boolean): KernelLogLine {
    const line: KernelLogLine = { at, level, text, line: printkTimestamp(at) + text, upstream };
    this.buf.push(line);
    if (this.buf.length > this.max) {
      this.buf.shift();
      this.droppedLines++;
    }
    return line;
  }

  lines(): KernelLogLine[] {
    return this.buf.slice();
  }

  get dropped(): number {
    return this.droppedLines;
  }

  /** Restore the ring from a snapshot. */
  load(lines: readonly KernelLogLine[], dropped: number): void {
    this.buf = lines.slice(-this.max).map((l) => ({ ...l }));
    this.droppedLines = dropped + Math.max(0, lines.length - this.max);
  }
}
