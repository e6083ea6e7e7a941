import { parse as parseYaml } from "yaml";

/** A --set the CLI cannot apply. Reported with the option as the user typed it; exit 2. */
export class SetOverrideError extends Error {
  readonly code = "E_SET";
  constructor(
    readonly raw: string,
    reason: string,
  ) {
    super(`--set ${raw}: ${reason}`);
    this.name = "SetOverrideError";
  }
}

/** Where a path starts: the document root, or a node found by its id. */
export type SetAnchor =
  | { kind: "root" }
  | { kind: "guest"; id: string }
  | { kind: "hypervisor"; id: string };

/** One parsed `--set PATH=VALUE`. */
export interface SetOverride {
  /** As typed, for error messages. */
  readonly raw: string;
  readonly anchor: SetAnchor;
  /** Path below the anchor: keys, or decimal indices into lists. */
  readonly segments: readonly string[];
  /** The value parsed as YAML (scalars, or a flow mapping/list); null removes the field. */
  readonly value: unknown;
}

const FORBIDDEN = new Set(["__proto__", "prototype", "constructor"]);
const INDEX = /^(0|[1-9]\d{0,5})$/;

/**
 * Parses `PATH=VALUE`. PATH is dot-separated (`defaults.clockRate`,
 * `hypervisors.0.guests.1.seed`) and may start at a node by id: `guest:starved.interrupts.perSecond`,
 * `hypervisor:hv1.defaults.seed` (or `hv:hv1…`). VALUE is YAML: `10`, `absent`, `true`,
 * `{mode: fail}`; `null` removes the field so the defaults apply again.
 */
export function parseSetOverride(raw: string): SetOverride {
  const eq = raw.indexOf("=");
  if (eq <= 0) throw new SetOverrideError(raw, "expected PATH=VALUE");
  const path = raw.slice(0, eq).trim();
  const text = raw.slice(eq + 1);
  if (text.trim() === "")
    throw new SetOverrideError(raw, "missing VALUE after '=' (use null to remove a field)");
  const parts = path.split(".");
  let anchor: SetAnchor = { kind: "root" };
  const head = /^(guest|hypervisor|hv):(.+)$/.exec(parts[0]!);
  if (head) {
    anchor = { kind: head[1] === "guest" ? "guest" : "hypervisor", id: head[2]! };
    parts.shift();
    if (parts.length === 0)
      throw new SetOverrideError(
        raw,
        `name a field of ${head[1]} ${head[2]}, e.g. ${head[0]}.seed`,
      );
  }
  for (const p of parts) {
    if (p === "") throw new SetOverrideError(raw, `empty path segment in ${JSON.stringify(path)}`);
    if (FORBIDDEN.has(p)) throw new SetOverrideError(raw, `${JSON.stringify(p)} is not a field`);
  }
  let value: unknown;
  try {
    value = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new SetOverrideError(
      raw,
      `VALUE is not valid YAML: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  return { raw, anchor, segments: parts, value };
}

type Container = Record<string, unknown> | unknown[];
const isContainer = (v: unknown): v is Container => typeof v === "object" && v !== null;
const kindOf = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "a list"
      : typeof v === "object"
        ? "a mapping"
        : `a ${typeof v}`;

/** Index path to the node an anchor names, e.g. ["hypervisors", "0", "guests", "2"]. */
function anchorPath(doc: unknown, o: SetOverride): string[] {
  const a = o.anchor;
  if (a.kind === "root") return [];
  const hvs = (doc as { hypervisors?: unknown })?.hypervisors;
  const list = Array.isArray(hvs) ? hvs : [];
  const ids: string[] = [];
  for (const [h, hv] of list.entries()) {
    if (a.kind === "hypervisor") {
      const id = (hv as { id?: unknown })?.id;
      if (id === a.id) return ["hypervisors", String(h)];
      if (typeof id === "string") ids.push(id);
      continue;
    }
    const guests = (hv as { guests?: unknown })?.guests;
    for (const [g, guest] of (Array.isArray(guests) ? guests : []).entries()) {
      const id = (guest as { id?: unknown })?.id;
      if (id === a.id) return ["hypervisors", String(h), "guests", String(g)];
      if (typeof id === "string") ids.push(id);
    }
  }
  const known = ids.length ? `; known ${a.kind}s: ${ids.join(", ")}` : "";
  throw new SetOverrideError(o.raw, `no ${a.kind} with id ${JSON.stringify(a.id)}${known}`);
}

/** Slash path, as ClusterFileError names fields ("/hypervisors/0/guests/1/seed"). */
export const toPointer = (segments: readonly string[]): string => `/${segments.join("/")}`;

/**
 * Applies overrides in order to a parsed cluster document (mutating and returning it; an empty
 * document becomes a mapping). Returns the pointer each override wrote, so a validation error
 * under one can be blamed on that --set.
 */
export function applyOverrides(
  doc: unknown,
  overrides: readonly SetOverride[],
): { doc: unknown; pointers: string[] } {
  const root: unknown = doc ?? {};
  const pointers: string[] = [];
  for (const o of overrides) {
    if (!isContainer(root) || Array.isArray(root))
      throw new SetOverrideError(o.raw, `the cluster document is ${kindOf(root)}, not a mapping`);
    const path = [...anchorPath(root, o), ...o.segments];
    setAt(root, path, o);
    pointers.push(toPointer(path));
  }
  return { doc: root, pointers };
}

function setAt(root: Container, path: readonly string[], o: SetOverride): void {
  let cur: Container = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const last = i === path.length - 1;
    const where = path.slice(0, i).join(".") || "the document";
    if (Array.isArray(cur)) {
      if (!INDEX.test(key))
        throw new SetOverrideError(
          o.raw,
          `${where} is a list: expected an index, got ${JSON.stringify(key)}`,
        );
      const idx = Number(key);
      if (idx > cur.length || (idx === cur.length && o.value === null))
        throw new SetOverrideError(
          o.raw,
          `index ${idx} is past the end of ${where} (${cur.length} item${cur.length === 1 ? "" : "s"})`,
        );
      if (last) {
        if (o.value === null) cur.splice(idx, 1);
        else cur[idx] = o.value;
        return;
      }
      cur = descend(cur, idx, path[i + 1]!, o, path.slice(0, i + 1).join("."));
    } else {
      if (last) {
        if (o.value === null) delete cur[key];
        else cur[key] = o.value;
        return;
      }
      cur = descend(cur, key, path[i + 1]!, o, path.slice(0, i + 1).join("."));
    }
  }
}

/** The container at parent[key], created (a list when the next segment is 0) when missing. */
function descend(
  parent: Container,
  key: string | number,
  next: string,
  o: SetOverride,
  here: string,
): Container {
  const existing = Object.hasOwn(parent, key)
    ? (parent as Record<string | number, unknown>)[key]
    : undefined;
  if (existing === undefined) {
    const created: Container = next === "0" ? [] : {};
    (parent as Record<string | number, unknown>)[key] = created;
    return created;
  }
  if (!isContainer(existing))
    throw new SetOverrideError(o.raw, `${here} is ${kindOf(existing)}, not a mapping or list`);
  return existing;
}
