import { shortHex } from "../hex.js";
import type { HistoryRecord } from "../history.js";
import { type Output, outputsOf } from "./outputs.js";
import { type CheckContext, type CheckResult, result, type Violation, when } from "./types.js";

export const UNIQUE_BLOCKS = "unique-blocks";

/** 32 bytes: a ChaCha20 half-block, the unit crng_fast_key_erasure hands out (random.c). */
const BLOCK_HEX = 64;

interface Shared {
  first: Output;
  second: Output;
  block: string;
  /** Blocks this pair of records has in common. */
  count: number;
}

/**
 * No 32-byte output block (offsets 0, 32, 64… of every value; a shorter tail is ignored) is
 * returned to two different guests. A Map from block to its first owner keeps this linear in
 * the number of blocks. Same-guest repeats are not this checker's business. One violation per
 * pair of history lines, counting how many blocks they share.
 */
export function uniqueBlocks(records: readonly HistoryRecord[], _ctx: CheckContext): CheckResult {
  const owner = new Map<string, Output>();
  const pairs = new Map<string, Shared>();
  for (const out of outputsOf(records)) {
    for (let i = 0; i + BLOCK_HEX <= out.hex.length; i += BLOCK_HEX) {
      const block = out.hex.slice(i, i + BLOCK_HEX);
      const first = owner.get(block);
      if (!first) {
        owner.set(block, out);
        continue;
      }
      if (first.node === out.node) continue;
      const key = `${first.seq}/${out.seq}`;
      const known = pairs.get(key);
      if (known) known.count++;
      else pairs.set(key, { first, second: out, block, count: 1 });
    }
  }
  const violations: Violation[] = [...pairs.values()].map(({ first, second, block, count }) => ({
    message:
      `${first.node} and ${second.node} got the same 32-byte block ${shortHex(block)}: ` +
      `${first.what} on ${first.node} at ${when(first.at)} (#${first.seq}), ` +
      `${second.what} on ${second.node} at ${when(second.at)} (#${second.seq})` +
      (count > 1 ? `; ${count} blocks in common` : ""),
    seqs: [first.seq, second.seq],
  }));
  return result(UNIQUE_BLOCKS, violations);
}
