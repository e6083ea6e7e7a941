import { HistoryError } from "./errors.js";
import { shortHex } from "./hex.js";

/**
 * The run history (`history.jsonl` in the run directory): one JSON object per line, written by
 * the runner in apps/cli. Byte values are lower-case hex; `at` = wall ms since the run started;
 * `seq` strictly increasing.
 */

/** What the cluster file says of a guest (clones inherit their parent's). */
export type GuestFacts = {
  coco: boolean;
  rdrand: "ok" | "absent" | "fail" | "stuck" | "flaky";
  /** The cluster file's expectation for this guest. */
  expect: "ready" | "booted" | "panic";
  vmgenid: "off" | "notify" | "counter";
  seed: "present" | "absent" | "zero" | "replayed";
};

export type OpName = "getrandom" | "read" | "clone" | "kexec" | "snapshot" | "restore" | "status";

export type RunRecord = {
  seq: number;
  at: number;
  type: "run";
  phase: "start" | "cluster-up" | "end";
  scenario: string;
  seed: number;
};
export type NodeRecord = {
  seq: number;
  at: number;
  type: "node";
  node: string;
  role: "hypervisor" | "guest";
  parent?: string;
  cloneOf?: string;
  facts?: GuestFacts;
};
export type OpRecord = {
  seq: number;
  at: number;
  type: "op";
  process: number;
  f: OpName;
  node: string;
  phase: "invoke" | "ok" | "fail" | "info";
  args?: Record<string, unknown>;
  /** rng ops: the bytes returned (hex); clone: comma-separated clone ids. */
  value?: string;
  /** fail/info: errno name (EAGAIN) or wire code (E_TIMEOUT, E_CLOSED). */
  error?: string;
};
export type FaultRecord = {
  seq: number;
  at: number;
  type: "fault";
  phase: "start" | "stop" | "error";
  fault?: number;
  spec: { kind: string; target: string; params: Record<string, unknown> };
  nodes?: string[];
  error?: string;
};
export type EventRecord = {
  seq: number;
  at: number;
  type: "event";
  node: string;
  vtimeMs: number;
  kind: string;
  level: string;
  message: string;
  data?: Record<string, unknown>;
};

export type HistoryRecord = RunRecord | NodeRecord | OpRecord | FaultRecord | EventRecord;

const OPS = new Set(["getrandom", "read", "clone", "kexec", "snapshot", "restore", "status"]);
const OP_PHASES = new Set(["invoke", "ok", "fail", "info"]);

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const optional = (v: unknown, check: (v: unknown) => boolean): boolean =>
  v === undefined || check(v);

/** Why `v` is not a history record, or undefined when it is one (extra fields are allowed). */
function whyNotRecord(v: unknown): string | undefined {
  if (!isObj(v)) return "expected a JSON object";
  if (!Number.isInteger(v.seq)) return "expected an integer `seq`";
  if (!isNum(v.at)) return "expected a number `at`";
  switch (v.type) {
    case "run":
      if (v.phase !== "start" && v.phase !== "cluster-up" && v.phase !== "end")
        return "run: expected phase start, cluster-up or end";
      if (!isStr(v.scenario) || !isNum(v.seed)) return "run: expected `scenario` and `seed`";
      return undefined;
    case "node":
      if (!isStr(v.node)) return "node: expected a string `node`";
      if (v.role !== "hypervisor" && v.role !== "guest")
        return "node: expected role hypervisor or guest";
      if (!optional(v.parent, isStr) || !optional(v.cloneOf, isStr))
        return "node: `parent` and `cloneOf` must be strings";
      if (!optional(v.facts, isObj)) return "node: `facts` must be an object";
      return undefined;
    case "op":
      if (!isNum(v.process)) return "op: expected a number `process`";
      if (!OPS.has(v.f as string)) return `op: unknown f ${JSON.stringify(v.f)}`;
      if (!isStr(v.node)) return "op: expected a string `node`";
      if (!OP_PHASES.has(v.phase as string)) return "op: expected phase invoke, ok, fail or info";
      if (!optional(v.args, isObj)) return "op: `args` must be an object";
      if (!optional(v.value, isStr) || !optional(v.error, isStr))
        return "op: `value` and `error` must be strings";
      return undefined;
    case "fault": {
      if (v.phase !== "start" && v.phase !== "stop" && v.phase !== "error")
        return "fault: expected phase start, stop or error";
      const s = v.spec;
      if (!isObj(s) || !isStr(s.kind) || !isStr(s.target) || !isObj(s.params))
        return "fault: expected `spec` {kind, target, params}";
      if (!optional(v.nodes, (n) => Array.isArray(n) && n.every(isStr)))
        return "fault: `nodes` must be a list of strings";
      return undefined;
    }
    case "event":
      if (!isStr(v.node) || !isStr(v.kind) || !isStr(v.level) || !isStr(v.message))
        return "event: expected strings `node`, `kind`, `level`, `message`";
      if (!isNum(v.vtimeMs)) return "event: expected a number `vtimeMs`";
      if (!optional(v.data, isObj)) return "event: `data` must be an object";
      return undefined;
    default:
      return `unknown record type ${JSON.stringify(v.type)}`;
  }
}

/**
 * Reads history.jsonl. Blank lines are ignored. A last line without its newline that is not
 * valid JSON is a write torn by a crash: it is skipped and counted. Anything else malformed
 * (bad JSON, a record missing fields, `seq` not strictly increasing) is a HistoryError naming
 * the line.
 */
export function parseHistory(text: string): { records: HistoryRecord[]; skipped: number } {
  const lines = text.split("\n");
  const records: HistoryRecord[] = [];
  let skipped = 0;
  let lastSeq = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const unterminated = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (unterminated) {
        skipped++;
        continue;
      }
      throw new HistoryError(i + 1, `not valid JSON (${(err as Error).message})`);
    }
    const why = whyNotRecord(value);
    if (why) throw new HistoryError(i + 1, why);
    const r = value as HistoryRecord;
    if (r.seq <= lastSeq)
      throw new HistoryError(i + 1, `seq ${r.seq} does not follow ${lastSeq} (must increase)`);
    lastSeq = r.seq;
    records.push(r);
  }
  return { records, skipped };
}

/** The byte length of a hex value, as "32B". */
const byteLen = (hex: string): string => `${hex.length >> 1}B`;

function formatArgs(args: Record<string, unknown> | undefined): string {
  if (!args) return "";
  return Object.entries(args)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

function formatFacts(f: GuestFacts | undefined): string {
  if (!f) return "";
  return `${f.coco ? "coco " : ""}rdrand=${f.rdrand} seed=${f.seed} vmgenid=${f.vmgenid} expect=${f.expect}`;
}

function formatBody(r: HistoryRecord): string {
  switch (r.type) {
    case "run":
      return `run ${r.phase} ${r.scenario} seed=${r.seed}`;
    case "node":
      return [
        `node ${r.node} ${r.role}`,
        r.parent ? `on ${r.parent}` : "",
        r.cloneOf ? `clone of ${r.cloneOf}` : "",
        formatFacts(r.facts),
      ]
        .filter(Boolean)
        .join(" ");
    case "op": {
      const head = `op ${r.f} ${r.node} ${r.phase}`;
      if (r.phase === "invoke") return [head, formatArgs(r.args)].filter(Boolean).join(" ");
      if (r.phase === "fail" || r.phase === "info")
        return [head, r.error ?? "", formatArgs(r.args)].filter(Boolean).join(" ");
      if (r.value === undefined) return head;
      if (r.f === "getrandom" || r.f === "read")
        return `${head} ${byteLen(r.value)} ${shortHex(r.value, 2)}`;
      return `${head} ${r.value}`;
    }
    case "fault": {
      const params = formatArgs(r.spec.params);
      return [
        `fault ${r.phase}${r.fault === undefined ? "" : ` #${r.fault}`} ${r.spec.kind}${params ? `:${params.replaceAll(" ", ",")}` : ""} → ${r.spec.target}`,
        r.nodes?.length ? `[${r.nodes.join(",")}]` : "",
        r.error ? `error: ${r.error}` : "",
      ]
        .filter(Boolean)
        .join(" ");
    }
    case "event":
      return `event ${r.node} ${r.kind} ${r.level} "${r.message}" vtime=${r.vtimeMs}ms`;
  }
}

/** One readable line for summaries: `#123 +1.204s op getrandom vm-1 ok 32B 9f3a…`. */
export function formatRecord(r: HistoryRecord): string {
  return `#${r.seq} +${(r.at / 1000).toFixed(3)}s ${formatBody(r)}`;
}
