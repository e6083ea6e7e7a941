import type { ClusterEvent } from "@vmrng/cluster/control";
import { nodeColor, type Styler } from "./colors.js";

/**
 * The printk timestamp prefix, "[%5lu.%06lu] " of print_time() in kernel/printk/printk.c:
 * seconds right-aligned in 5 columns, then microseconds.
 */
export function dmesgTime(vtimeMs: number): string {
  const us = Math.max(0, Math.round(vtimeMs * 1000));
  const sec = Math.floor(us / 1_000_000);
  const frac = us % 1_000_000;
  return `[${String(sec).padStart(5)}.${String(frac).padStart(6, "0")}]`;
}

/** Prefixes every line with its node, compose-style, in the node's color. */
export class EventFormatter {
  #width: number;
  constructor(
    private readonly style: Styler,
    nodeIds: readonly string[] = [],
  ) {
    this.#width = Math.max(4, ...nodeIds.map((n) => n.length));
  }

  prefix(node: string): string {
    if (node.length > this.#width) this.#width = node.length;
    return this.style(nodeColor(node), `${node.padEnd(this.#width)} |`);
  }

  /** One event as a terminal line: kernel log lines look like dmesg, the rest are marked. */
  format(e: ClusterEvent): string {
    const s = this.style;
    const head = this.prefix(e.node);
    if (e.kind === "log") {
      const text =
        e.level === "error"
          ? s("red", e.message)
          : e.level === "warn"
            ? s("yellow", e.message)
            : e.message;
      return `${head} ${s("dim", dmesgTime(e.vtimeMs))} ${text}`;
    }
    const body = `» ${e.kind}: ${e.message}`;
    const styled =
      e.kind === "panic" || e.level === "error"
        ? s(["bold", "red"], body)
        : e.level === "warn"
          ? s("yellow", body)
          : s("dim", body);
    return `${head} ${styled}`;
  }
}
