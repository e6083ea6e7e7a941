import { type TSchema, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { ValueError } from "@sinclair/typebox/errors";
import { describeExpected } from "@vmrng/cluster";
import type { CheckerName } from "./checkers/index.js";
import { DurationError, formatDuration, parseDuration } from "./duration.js";
import { ScenarioError } from "./errors.js";
import {
  FaultStepSchema,
  type LoadInput,
  LoadSchema,
  OpStepSchemas,
  type ScenarioInput,
  ScenarioSchema,
  type StepInput,
  WaitStepSchema,
} from "./schema.js";
import { readYaml } from "./yaml-source.js";

/** The longest run a scenario may ask for. */
export const MAX_RUN_MS = 600_000;
export const DEFAULT_DURATION_MS = 10_000;
export const DEFAULT_READY_MS = 30_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
export const DEFAULT_SEED = 1;
/** Load ops one run may plan (rate × duration): keeps the plan and the history bounded. */
export const MAX_LOAD_OPS = 1_000_000;

export type MixEntry =
  | { op: "getrandom"; len: number; flags: number; weight: number }
  | { op: "read"; source: "random" | "urandom"; len: number; weight: number };

export interface Load {
  clients: number;
  /** Ops per second over all clients. */
  rate: number;
  targets: "guests" | string[];
  mix: MixEntry[];
}

/** A fault as the scenario wrote it; @vmrng/faults parses and validates it in the runner. */
export type FaultInput = string | { kind: string; [param: string]: unknown };

interface StepBase {
  /** ms from cluster-up. */
  atMs: number;
  /** Position in the scenario's `schedule` list, for messages. */
  index: number;
}
export type OpStep = StepBase & { kind: "op" } & (
    | { op: "getrandom"; vm: string; len: number; flags: number; repeat: number; everyMs: number }
    | {
        op: "read";
        vm: string;
        source: "random" | "urandom";
        len: number;
        repeat: number;
        everyMs: number;
      }
    | {
        op: "clone";
        vm: string;
        count: number;
        /** The clones' ids: as written, else `<vm>-c<n>` numbered per parent over the schedule. */
        ids: string[];
        snapshot?: string;
      }
    | { op: "kexec"; vm: string }
    | { op: "snapshot"; vm: string; snapshot?: string }
    | { op: "restore"; vm: string; snapshot: string }
    | { op: "status"; vm: string }
  );
export type FaultStep = StepBase & {
  kind: "fault";
  fault: FaultInput;
  target: string;
  /** Remove after this long; absent = until the run ends. */
  forMs?: number;
};
export type WaitStep = StepBase & {
  kind: "wait";
  event: string;
  node?: string;
  timeoutMs: number;
};
export type Step = OpStep | FaultStep | WaitStep;

/** A validated scenario: defaults applied, durations in ms. */
export interface Scenario {
  name: string;
  description: string;
  /** The file or module it came from. */
  source: string;
  /** Exactly one of cluster (inline, validated by @vmrng/cluster) and clusterFile is set. */
  cluster?: Record<string, unknown>;
  /** Relative to the scenario file. */
  clusterFile?: string;
  seed: number;
  durationMs: number;
  deadlines: { readyMs: number };
  load?: Load;
  schedule: Step[];
  expect: { violations: CheckerName[] };
}

/** For TypeScript scenario modules: `export default defineScenario({...})` (typing only). */
export function defineScenario(s: ScenarioInput): ScenarioInput {
  return s;
}

// ---- validation ---------------------------------------------------------------------------

type Keys = (string | number)[];

/** The top level with schedule items and mix entries left open: those are refined per variant. */
const TopSchema = Type.Object(
  {
    ...ScenarioSchema.properties,
    load: Type.Optional(
      Type.Object(
        {
          ...LoadSchema.properties,
          mix: Type.Optional(Type.Array(Type.Unknown(), { minItems: 1, maxItems: 32 })),
        },
        { additionalProperties: false },
      ),
    ),
    schedule: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);
const checkTop = TypeCompiler.Compile(TopSchema);
const checkOp = Object.fromEntries(
  Object.entries(OpStepSchemas).map(([op, s]) => [op, TypeCompiler.Compile(s as TSchema)]),
);
const checkFault = TypeCompiler.Compile(FaultStepSchema);
const checkWait = TypeCompiler.Compile(WaitStepSchema);
const mixSchemas = (LoadSchema.properties.mix.items as { anyOf: TSchema[] }).anyOf;
const checkMix: Record<string, ReturnType<typeof TypeCompiler.Compile>> = {
  getrandom: TypeCompiler.Compile(mixSchemas[0]!),
  read: TypeCompiler.Compile(mixSchemas[1]!),
};

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const pointerKeys = (pointer: string): Keys =>
  pointer
    .split("/")
    .slice(1)
    .map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));

/** `["schedule", 3, "at"]` → `schedule[3].at`. */
export function formatPath(keys: readonly (string | number)[]): string {
  let out = "";
  for (const k of keys) out += typeof k === "number" ? `[${k}]` : out ? `.${k}` : k;
  return out;
}

class Failer {
  constructor(
    readonly source: string,
    readonly lineOf: (keys: Keys) => number | undefined,
  ) {}
  fail(keys: Keys, expected: string): never {
    throw new ScenarioError(this.source, formatPath(keys), expected, this.lineOf(keys));
  }
  /** The deepest error (the most specific: a field beats its parent), under `base`. */
  failWith(errors: ValueError[], base: Keys): never {
    const worst = errors.reduce((a, b) =>
      pointerKeys(b.path).length > pointerKeys(a.path).length ? b : a,
    );
    return this.fail([...base, ...pointerKeys(worst.path)], describeExpected(worst));
  }
  duration(value: unknown, keys: Keys, max = MAX_RUN_MS): number {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      if (err instanceof DurationError) this.fail(keys, err.message);
      throw err;
    }
    if (ms > max)
      this.fail(keys, `expected at most ${formatDuration(max)} (got ${JSON.stringify(value)})`);
    return ms;
  }
}

function checkStep(f: Failer, item: unknown, i: number): void {
  const at: Keys = ["schedule", i];
  if (!isObj(item))
    f.fail(at, `expected a mapping with op, fault or wait (got ${JSON.stringify(item)})`);
  let check: ReturnType<typeof TypeCompiler.Compile>;
  if ("op" in item) {
    const c = typeof item.op === "string" ? checkOp[item.op] : undefined;
    if (!c)
      f.fail(
        [...at, "op"],
        `expected one of ${Object.keys(OpStepSchemas).join(", ")} (got ${JSON.stringify(item.op)})`,
      );
    check = c;
  } else if ("fault" in item) check = checkFault;
  else if ("wait" in item) check = checkWait;
  else
    f.fail(
      at,
      `expected a step with one of op, fault or wait (got fields ${Object.keys(item).join(", ") || "none"})`,
    );
  if (!check.Check(item)) f.failWith([...check.Errors(item)], at);
}

function checkMixEntry(f: Failer, item: unknown, i: number): void {
  const at: Keys = ["load", "mix", i];
  if (!isObj(item))
    f.fail(at, `expected a mapping with op getrandom or read (got ${JSON.stringify(item)})`);
  const c = typeof item.op === "string" ? checkMix[item.op] : undefined;
  if (!c)
    f.fail([...at, "op"], `expected one of "getrandom", "read" (got ${JSON.stringify(item.op)})`);
  if (!c.Check(item)) f.failWith([...c.Errors(item)], at);
}

function toStep(f: Failer, s: StepInput, index: number, durationMs: number): Step {
  const keys: Keys = ["schedule", index];
  const atMs = f.duration(s.at, [...keys, "at"]);
  if (atMs > durationMs)
    f.fail(
      [...keys, "at"],
      `expected a time within the run's duration ${formatDuration(durationMs)} (got ${JSON.stringify(s.at)})`,
    );
  const base = { atMs, index };
  if ("fault" in s) {
    return {
      ...base,
      kind: "fault",
      fault: s.fault as FaultInput,
      target: s.target,
      ...(s.for === undefined ? {} : { forMs: f.duration(s.for, [...keys, "for"]) }),
    };
  }
  if ("wait" in s) {
    return {
      ...base,
      kind: "wait",
      event: s.wait.event,
      ...(s.wait.node === undefined ? {} : { node: s.wait.node }),
      timeoutMs:
        s.wait.timeout === undefined
          ? DEFAULT_WAIT_TIMEOUT_MS
          : f.duration(s.wait.timeout, [...keys, "wait", "timeout"]),
    };
  }
  const every = (v: unknown) => (v === undefined ? 0 : f.duration(v, [...keys, "every"]));
  switch (s.op) {
    case "getrandom":
      return {
        ...base,
        kind: "op",
        op: "getrandom",
        vm: s.vm,
        len: s.len ?? 32,
        flags: s.flags ?? 0,
        repeat: s.repeat ?? 1,
        everyMs: every(s.every),
      };
    case "read":
      return {
        ...base,
        kind: "op",
        op: "read",
        vm: s.vm,
        source: s.source ?? "urandom",
        len: s.len ?? 32,
        repeat: s.repeat ?? 1,
        everyMs: every(s.every),
      };
    case "clone": {
      if (s.ids && s.count !== undefined && s.ids.length !== s.count)
        f.fail([...keys, "ids"], `expected ${s.count} ids to match count (got ${s.ids.length})`);
      if (s.ids?.includes(s.vm))
        f.fail([...keys, "ids"], `a clone cannot reuse its parent's id ${s.vm}`);
      return {
        ...base,
        kind: "op",
        op: "clone",
        vm: s.vm,
        count: s.count ?? s.ids?.length ?? 1,
        ids: s.ids ? [...s.ids] : [],
        ...(s.snapshot === undefined ? {} : { snapshot: s.snapshot }),
      };
    }
    case "snapshot":
      return {
        ...base,
        kind: "op",
        op: "snapshot",
        vm: s.vm,
        ...(s.snapshot === undefined ? {} : { snapshot: s.snapshot }),
      };
    case "restore":
      return { ...base, kind: "op", op: "restore", vm: s.vm, snapshot: s.snapshot };
    case "kexec":
    case "status":
      return { ...base, kind: "op", op: s.op, vm: s.vm };
  }
}

/**
 * Fills in clone ids (`<vm>-c1`, `<vm>-c2`, … counted per parent in schedule order, skipping
 * ids already written) so later steps can address a clone by id; refuses an id used twice.
 */
function nameClones(f: Failer, steps: Step[]): void {
  const taken = new Set<string>();
  for (const s of steps)
    if (s.kind === "op" && s.op === "clone")
      for (const id of s.ids) {
        if (taken.has(id)) f.fail(["schedule", s.index, "ids"], `clone id ${id} is used twice`);
        taken.add(id);
      }
  const next = new Map<string, number>();
  for (const s of steps) {
    if (s.kind !== "op" || s.op !== "clone" || s.ids.length > 0) continue;
    let n = next.get(s.vm) ?? 1;
    for (let k = 0; k < s.count; k++) {
      while (taken.has(`${s.vm}-c${n}`)) n++;
      const id = `${s.vm}-c${n}`;
      if (id.length > 32)
        f.fail(
          ["schedule", s.index, "vm"],
          `the clone id ${id} would exceed 32 characters: give ids`,
        );
      s.ids.push(id);
      taken.add(id);
    }
    next.set(s.vm, n);
  }
}

function toLoad(l: LoadInput): Load {
  const mix: MixEntry[] = (l.mix ?? [{ op: "getrandom" }]).map((m) =>
    m.op === "getrandom"
      ? { op: "getrandom", len: m.len ?? 32, flags: m.flags ?? 0, weight: m.weight ?? 1 }
      : { op: "read", source: m.source ?? "urandom", len: m.len ?? 32, weight: m.weight ?? 1 },
  );
  return {
    clients: l.clients ?? 1,
    rate: l.rate,
    targets: l.targets === undefined || l.targets === "guests" ? "guests" : [...l.targets],
    mix,
  };
}

/**
 * Validates a scenario value (parsed YAML, or a TypeScript module's default export) and
 * applies defaults. Any problem is a ScenarioError naming the path and what was expected.
 */
export function validateScenario(
  value: unknown,
  sourceName: string,
  lineOf: (keys: readonly (string | number)[]) => number | undefined = () => undefined,
): Scenario {
  const f: Failer = new Failer(sourceName, lineOf);
  if (!isObj(value))
    f.fail(
      [],
      `expected a mapping with name and cluster or clusterFile (got ${JSON.stringify(value) ?? typeof value})`,
    );
  if (!checkTop.Check(value)) f.failWith([...checkTop.Errors(value)], []);
  const schedule = (value.schedule ?? []) as unknown[];
  for (const [i, item] of schedule.entries()) checkStep(f, item, i);
  const mix = isObj(value.load) && Array.isArray(value.load.mix) ? value.load.mix : [];
  for (const [i, item] of (mix as unknown[]).entries()) checkMixEntry(f, item, i);
  const s = value as ScenarioInput;

  if ((s.cluster === undefined) === (s.clusterFile === undefined))
    f.fail(
      s.cluster === undefined ? [] : ["clusterFile"],
      "give exactly one of cluster (an inline cluster file) and clusterFile (a path)",
    );
  const durationMs =
    s.duration === undefined ? DEFAULT_DURATION_MS : f.duration(s.duration, ["duration"]);
  if (durationMs === 0) f.fail(["duration"], "expected a duration above 0");
  const readyMs =
    s.deadlines?.readyMs === undefined
      ? DEFAULT_READY_MS
      : f.duration(s.deadlines.readyMs, ["deadlines", "readyMs"]);

  const steps = (s.schedule ?? []).map((step, i) => toStep(f, step, i, durationMs));
  nameClones(f, steps);
  const load = s.load === undefined ? undefined : toLoad(s.load);
  if (load && (load.rate * durationMs) / 1000 > MAX_LOAD_OPS)
    f.fail(
      ["load", "rate"],
      `expected at most ${MAX_LOAD_OPS} load ops per run (rate × duration = ${Math.round((load.rate * durationMs) / 1000)})`,
    );
  return {
    name: s.name,
    description: s.description ?? "",
    source: sourceName,
    ...(s.cluster === undefined ? {} : { cluster: s.cluster }),
    ...(s.clusterFile === undefined ? {} : { clusterFile: s.clusterFile }),
    seed: s.seed ?? DEFAULT_SEED,
    durationMs,
    deadlines: { readyMs },
    ...(load === undefined ? {} : { load }),
    schedule: steps,
    expect: { violations: [...(s.expect?.violations ?? [])] },
  };
}

/** Parses a YAML scenario; errors name the path and, when known, the line. */
export function parseScenarioYaml(text: string, sourceName: string): Scenario {
  const { raw, lineOf } = readYaml(text, sourceName);
  return validateScenario(raw, sourceName, lineOf);
}

/** Validates an imported TypeScript module: its default export is the scenario. */
export function validateScenarioModule(mod: unknown, sourceName: string): Scenario {
  if (!isObj(mod) || !("default" in mod) || mod.default === undefined)
    throw new ScenarioError(
      sourceName,
      "",
      "the module has no default export (write `export default defineScenario({ ... })`)",
    );
  return validateScenario(mod.default, sourceName);
}
