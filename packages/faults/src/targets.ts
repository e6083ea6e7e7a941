import { NODE_ID_RE, type NodeRole } from "./catalogue/define.js";
import { FAULT_KINDS, type FaultKind } from "./catalogue.js";
import { FaultError } from "./errors.js";
import type { SeededRandom } from "./random.js";
import { didYouMean } from "./suggest.js";

/** A node of the running cluster, as the host knows it. */
export interface ClusterNode {
  id: string;
  role: NodeRole;
  /** The node that spawned it and serves its link (none for the host). */
  parent?: string;
}

/** What a target string selects. */
export type TargetSelector =
  | { type: "node"; id: string }
  | { type: "role"; role: "guest" | "hypervisor" }
  | { type: "all" }
  | { type: "random"; role?: "guest" | "hypervisor" };

const KEYWORDS = [
  "all",
  "random",
  "random:guest",
  "random:hypervisor",
  "role:guest",
  "role:hypervisor",
];

/**
 * Parses a target: a node id (/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/), `role:guest`,
 * `role:hypervisor`, `all`, `random`, `random:guest`, `random:hypervisor`. The words `all` and
 * `random` are keywords, never node ids.
 */
export function parseTarget(text: string): TargetSelector {
  if (typeof text !== "string") {
    throw new FaultError("E_FAULT_TARGET", `target must be a string, got ${typeof text}`);
  }
  switch (text) {
    case "all":
      return { type: "all" };
    case "random":
      return { type: "random" };
    case "random:guest":
    case "random:hypervisor":
      return { type: "random", role: text.slice(7) as "guest" | "hypervisor" };
    case "role:guest":
    case "role:hypervisor":
      return { type: "role", role: text.slice(5) as "guest" | "hypervisor" };
  }
  if (text.includes(":")) {
    throw new FaultError(
      "E_FAULT_TARGET",
      `bad target '${text}': expected a node id or one of ${KEYWORDS.join(", ")}${didYouMean(text, KEYWORDS)}`,
    );
  }
  if (!NODE_ID_RE.test(text)) {
    throw new FaultError(
      "E_FAULT_TARGET",
      `bad target '${text}': a node id is 1-63 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return { type: "node", id: text };
}

/** The role a selector implies on its own (role:X, random:X), else undefined. */
export function selectorRole(sel: TargetSelector): NodeRole | undefined {
  if (sel.type === "role") return sel.role;
  if (sel.type === "random") return sel.role;
  return undefined;
}

/** Throws E_FAULT_TARGET when `kind` cannot act on a node of `role`. */
export function assertKindAcceptsRole(kind: FaultKind, role: NodeRole, what: string): void {
  const roles = FAULT_KINDS[kind].roles;
  if (!roles.includes(role)) {
    throw new FaultError(
      "E_FAULT_TARGET",
      `${kind} cannot target ${what} (a ${role}); it accepts ${roles.join(" or ")} nodes`,
    );
  }
}

/**
 * The node ids a target selects in `nodes`. With a kind, `all`, `role:X` and `random` keep only
 * nodes of roles the kind accepts, and a named node of a refused role is an error. `random`
 * draws one node from `random` (the run's seeded source): same seed and nodes, same node.
 * Errors (E_FAULT_TARGET): malformed target, unknown node (with a close match), refused role,
 * empty selection.
 */
export function resolveTargets(
  target: string,
  nodes: readonly ClusterNode[],
  random: SeededRandom,
  kind?: FaultKind,
): string[] {
  const sel = parseTarget(target);
  const accepts = (n: ClusterNode) =>
    kind === undefined ? n.role !== "host" : FAULT_KINDS[kind].roles.includes(n.role);
  if (sel.type === "node") {
    const node = nodes.find((n) => n.id === sel.id);
    if (node === undefined) {
      throw new FaultError(
        "E_FAULT_TARGET",
        `unknown node '${sel.id}'${didYouMean(
          sel.id,
          nodes.map((n) => n.id),
        )}; known: ${nodes.map((n) => n.id).join(", ") || "(none)"}`,
      );
    }
    if (kind !== undefined) assertKindAcceptsRole(kind, node.role, `'${node.id}'`);
    return [node.id];
  }
  const role = selectorRole(sel);
  if (kind !== undefined && role !== undefined) assertKindAcceptsRole(kind, role, target);
  // Sorted by id so the draw does not depend on the order the host happened to list nodes in.
  const pool = nodes
    .filter((n) => accepts(n) && (role === undefined || n.role === role))
    .map((n) => n.id)
    .sort();
  if (pool.length === 0) {
    const which =
      kind === undefined ? "" : ` that ${kind} accepts (${FAULT_KINDS[kind].roles.join(", ")})`;
    throw new FaultError("E_FAULT_TARGET", `target '${target}' selects no node${which}`);
  }
  if (sel.type === "random") return [random.pick(pool)];
  return pool;
}

/** The id of the process that applies `kind` to `nodeId`: its parent, a fixed owner, or itself. */
export function ownerNode(kind: FaultKind, nodeId: string, nodes: readonly ClusterNode[]): string {
  const node = nodes.find((n) => n.id === nodeId);
  if (node === undefined) throw new FaultError("E_FAULT_TARGET", `unknown node '${nodeId}'`);
  const owner = FAULT_KINDS[kind].owner;
  if (owner === "guest" && node.role === "guest") return node.id;
  if (owner === "hypervisor" && node.role === "hypervisor") return node.id;
  if (node.parent === undefined) {
    throw new FaultError(
      "E_FAULT_TARGET",
      `${kind} on '${nodeId}' needs its parent to apply it, and '${nodeId}' has none`,
    );
  }
  return node.parent;
}
