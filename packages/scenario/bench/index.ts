import { measureOpsPerSec, ratioRow, writeSuite } from "@vmrng/benchkit";
import { parseHistory, runCheckers, uniqueBlocks } from "../src/index.js";

// A big run's history: 8 guests (2 of them clones), 25,000 getrandom ops of 128 bytes each
// (100,000 distinct 32-byte blocks), READY events and boot seeds, as JSON lines.
const guests = ["vm-1", "vm-2", "vm-3", "vm-4", "vm-5", "vm-6", "vm-1-c1", "vm-2-c1"];
const lines: string[] = [];
let seq = 0;
const push = (r: Record<string, unknown>) => lines.push(JSON.stringify({ seq: ++seq, ...r }));
const facts = { coco: false, rdrand: "ok", expect: "ready", vmgenid: "notify", seed: "present" };
for (const [i, g] of guests.entries()) {
  const cloneOf = g.endsWith("-c1") ? g.slice(0, -3) : undefined;
  push({
    at: i,
    type: "node",
    node: g,
    role: "guest",
    parent: "hv1",
    facts,
    ...(cloneOf ? { cloneOf } : {}),
  });
  const seed = (i + 1).toString(16).padStart(64, "0");
  push({
    at: i,
    type: "event",
    node: g,
    vtimeMs: 0,
    kind: "boot.seed",
    level: "info",
    message: "seed",
    data: { policy: "present", seed },
  });
  push({
    at: 10 + i,
    type: "event",
    node: g,
    vtimeMs: 5,
    kind: "init-state",
    level: "info",
    message: "READY",
    data: { from: "EARLY", to: "READY" },
  });
  if (cloneOf)
    push({
      at: 20 + i,
      type: "event",
      node: g,
      vtimeMs: 9,
      kind: "vmfork",
      level: "info",
      message: "vmfork",
      data: { source: "vmgenid" },
    });
}
let n = 0;
const hexBlock = () => (n++).toString(16).padStart(64, "0");
for (let i = 0; i < 25_000; i++) {
  const node = guests[i % guests.length]!;
  const process = i % 16;
  push({
    at: 100 + i,
    type: "op",
    process,
    f: "getrandom",
    node,
    phase: "invoke",
    args: { len: 128, flags: 0 },
  });
  push({
    at: 100 + i,
    type: "op",
    process,
    f: "getrandom",
    node,
    phase: "ok",
    value: hexBlock() + hexBlock() + hexBlock() + hexBlock(),
  });
}
const text = `${lines.join("\n")}\n`;
const { records } = parseHistory(text);
if (!runCheckers(records, {}).ok) throw new Error("the bench history should pass every checker");

// Baseline: reading the same history (JSON.parse of every line plus shape checks).
const parse = measureOpsPerSec(() => parseHistory(text).records.length, 2000);
const blocks = measureOpsPerSec(() => uniqueBlocks(records, {}).ok, 2000);
const all = measureOpsPerSec(() => runCheckers(records, {}).ok, 2000);

writeSuite("scenario-checkers", [
  ratioRow(
    "unique-blocks over 100k blocks vs parseHistory of the same run",
    "runs/s",
    blocks,
    parse,
    ">= 1x",
  ),
  ratioRow(
    "runCheckers (all five) vs parseHistory of the same run",
    "runs/s",
    all,
    parse,
    ">= 0.5x",
  ),
]);
