import type { TObject, TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { NodeRole } from "./catalogue/define.js";
import {
  FAULT_KIND_NAMES,
  FAULT_KINDS,
  type FaultKind,
  type FaultParams,
  isFaultKind,
} from "./catalogue.js";
import { FaultError } from "./errors.js";
import { parseFlowObject } from "./flow.js";
import { coerceParam, describeSchema } from "./params.js";
import { didYouMean } from "./suggest.js";
import { assertKindAcceptsRole, type ClusterNode, parseTarget, selectorRole } from "./targets.js";

/** A validated fault: kind, target and fully defaulted, range-checked, typed params. */
export type ValidFault = {
  [K in FaultKind]: { kind: K; target: string; params: FaultParams<K> };
}[FaultKind];

/** A fault as it travels (the wire's FaultSpec shape), before validation. */
export interface RawFault {
  kind: string;
  target: string;
  params?: Record<string, unknown>;
}

const KIND_HINT = "run `vmrng fault kinds` for the list";

function requireKind(kind: unknown, source: string): FaultKind {
  if (typeof kind !== "string" || kind === "") {
    throw new FaultError("E_FAULT_SPEC", `bad spec '${source}': missing fault kind (${KIND_HINT})`);
  }
  if (!isFaultKind(kind)) {
    throw new FaultError(
      "E_FAULT_SPEC",
      `unknown fault kind '${kind}'${didYouMean(kind, FAULT_KIND_NAMES)}; ${KIND_HINT}`,
    );
  }
  return kind;
}

function paramSchema(kind: FaultKind, key: string): TSchema | undefined {
  const props = (FAULT_KINDS[kind].params as TObject).properties;
  return Object.hasOwn(props, key) ? props[key] : undefined;
}

function unknownParam(kind: FaultKind, key: string): FaultError {
  const allowed = Object.keys((FAULT_KINDS[kind].params as TObject).properties);
  if (allowed.length === 0) {
    return new FaultError("E_FAULT_SPEC", `${kind} takes no params, got '${key}'`);
  }
  return new FaultError(
    "E_FAULT_SPEC",
    `unknown param '${key}' for ${kind}${didYouMean(key, allowed)}; allowed: ${allowed.join(", ")}`,
  );
}

/**
 * Parses a SPEC as typed on the command line: `KIND`, `KIND:key=value,key=value`, or a flow
 * object (`{"kind":"latency","latencyMs":200}`, `{kind: latency, latencyMs: 200}`). Values
 * become numbers or booleans where the kind's schema says so. Defaults and ranges are
 * validateFaultSpec's job. Errors: E_FAULT_SPEC.
 */
export function parseFaultSpec(text: string): { kind: FaultKind; params: Record<string, unknown> } {
  if (typeof text !== "string") {
    throw new FaultError("E_FAULT_SPEC", `spec must be a string, got ${typeof text}`);
  }
  const t = text.trim();
  if (t.startsWith("{")) {
    const obj = parseFlowObject(t);
    const { kind: rawKind, params: nested, ...rest } = obj;
    const kind = requireKind(rawKind, text);
    let params: Record<string, unknown> = rest;
    if (nested !== undefined) {
      if (nested === null || typeof nested !== "object" || Array.isArray(nested)) {
        throw new FaultError("E_FAULT_SPEC", `bad spec '${text}': params must be an object`);
      }
      params = { ...rest, ...(nested as Record<string, unknown>) };
    }
    return { kind, params: coerceAll(kind, params) };
  }
  const colon = t.indexOf(":");
  const kind = requireKind(colon < 0 ? t : t.slice(0, colon).trim(), text);
  const params: Record<string, unknown> = {};
  if (colon >= 0) {
    const body = t.slice(colon + 1);
    if (body.trim() === "") {
      throw new FaultError(
        "E_FAULT_SPEC",
        `bad spec '${text}': nothing after '${kind}:'; write ${kind} or ${kind}:key=value`,
      );
    }
    for (const pair of body.split(",")) {
      const eq = pair.indexOf("=");
      const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
      const value = eq < 0 ? "" : pair.slice(eq + 1).trim();
      if (eq < 0 || key === "" || value === "") {
        throw new FaultError(
          "E_FAULT_SPEC",
          `bad spec '${text}': expected key=value, got '${pair.trim()}'`,
        );
      }
      if (Object.hasOwn(params, key)) {
        throw new FaultError("E_FAULT_SPEC", `bad spec '${text}': param '${key}' given twice`);
      }
      params[key] = value;
    }
  }
  return { kind, params: coerceAll(kind, params) };
}

function coerceAll(kind: FaultKind, params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const schema = paramSchema(kind, key);
    if (schema === undefined) throw unknownParam(kind, key);
    out[key] = coerceParam(kind, key, schema, value);
  }
  return out;
}

function show(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "bigint") return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Validates a fault: the kind exists, every param is known, of the right type and in range
 * (defaults applied), the cross-field rules hold, the target parses, and the kind accepts the
 * target's role when it is known (from `role:X` / `random:X`, or from `nodes` for a node id).
 * Errors: E_FAULT_SPEC (kind, params), E_FAULT_TARGET (target).
 */
export function validateFaultSpec(raw: RawFault, nodes?: readonly ClusterNode[]): ValidFault {
  if (raw === null || typeof raw !== "object") {
    throw new FaultError("E_FAULT_SPEC", "a fault is an object { kind, target, params }");
  }
  const kind = requireKind(raw.kind, String(raw.kind));
  const def = FAULT_KINDS[kind];
  const schema = def.params as TObject;
  const given = raw.params ?? {};
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw new FaultError("E_FAULT_SPEC", `${kind}: params must be an object, got ${show(given)}`);
  }
  const params = Value.Default(schema, coerceAll(kind, given as Record<string, unknown>)) as Record<
    string,
    unknown
  >;
  const required = new Set(schema.required ?? []);
  for (const [key, propSchema] of Object.entries(schema.properties)) {
    if (!Object.hasOwn(params, key) || params[key] === undefined) {
      if (required.has(key)) {
        throw new FaultError(
          "E_FAULT_SPEC",
          `${kind} needs ${key} (${describeSchema(propSchema)}), e.g. ${kind}:${key}=…`,
        );
      }
      delete params[key];
      continue;
    }
    if (!Value.Check(propSchema, params[key])) {
      throw new FaultError(
        "E_FAULT_SPEC",
        `${kind}: ${key} must be ${describeSchema(propSchema)}, got ${show(params[key])}`,
      );
    }
  }
  // The per-key checks above cover the schema; this guards against a schema they do not read.
  if (!Value.Check(schema, params)) {
    throw new FaultError(
      "E_FAULT_SPEC",
      `${kind}: params ${show(params)} do not match the kind's schema`,
    );
  }
  const broken = def.refine?.(params);
  if (broken !== undefined) throw new FaultError("E_FAULT_SPEC", `${kind}: ${broken}`);

  if (typeof raw.target !== "string") {
    throw new FaultError(
      "E_FAULT_TARGET",
      `${kind}: target must be a string, got ${show(raw.target)}`,
    );
  }
  const sel = parseTarget(raw.target);
  let role: NodeRole | undefined = selectorRole(sel);
  if (sel.type === "node" && nodes !== undefined) role = nodes.find((n) => n.id === sel.id)?.role;
  if (role !== undefined)
    assertKindAcceptsRole(kind, role, sel.type === "node" ? `'${sel.id}'` : raw.target);
  if (kind === "partition" && sel.type === "node" && params.with === sel.id) {
    throw new FaultError(
      "E_FAULT_TARGET",
      `partition: target and with are the same node '${sel.id}'`,
    );
  }
  return { kind, target: raw.target, params } as ValidFault;
}
