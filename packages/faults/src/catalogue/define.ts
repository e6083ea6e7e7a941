import { type TObject, type TProperties, Type } from "@sinclair/typebox";
import { MAX_DURATION_MS } from "../duration.js";

/** Where a fault acts. */
export type FaultLayer = "link" | "device" | "boot" | "cpu" | "process";
/** The role of a node in the cluster. */
export type NodeRole = "host" | "hypervisor" | "guest";
/**
 * Who applies a fault. `parent` = the parent of the target node (the server side of its link):
 * the host for a hypervisor, the hypervisor for a guest. `ownerRole()` resolves it.
 */
export type OwnerRule = "parent" | "hypervisor" | "guest";

export interface FaultKindDef<P extends TObject = TObject> {
  readonly layer: FaultLayer;
  readonly owner: OwnerRule;
  /** Roles of target nodes the kind accepts. */
  readonly roles: readonly NodeRole[];
  /** Closed TypeBox object of the parameters, with `default` on optional ones. */
  readonly params: P;
  /** One line for `vmrng fault kinds`. */
  readonly description: string;
  /** The real-world failure it models. */
  readonly counterpart: string;
  /** A cross-field rule the schema cannot say; returns a message when broken. */
  readonly refine?: (params: Record<string, unknown>) => string | undefined;
}

export function defineKind<P extends TObject>(def: FaultKindDef<P>): FaultKindDef<P> {
  return def;
}

/** A closed parameter object: an unknown key is an error, never ignored. */
export function Params<P extends TProperties>(props: P) {
  return Type.Object(props, { additionalProperties: false });
}

export const NoParams = Params({});

/** A probability in [0, 1]. */
export const Probability = (def?: number) =>
  Type.Number({ minimum: 0, maximum: 1, ...(def === undefined ? {} : { default: def }) });

/** Milliseconds in [min, 24h]. */
export const Ms = (def?: number, minimum = 0) =>
  Type.Number({
    minimum,
    maximum: MAX_DURATION_MS,
    ...(def === undefined ? {} : { default: def }),
  });

/** Milliseconds in (0, 24h]. */
export const PositiveMs = () => Type.Number({ exclusiveMinimum: 0, maximum: MAX_DURATION_MS });

export const Int = (minimum: number, maximum: number, def?: number) =>
  Type.Integer({ minimum, maximum, ...(def === undefined ? {} : { default: def }) });

/** The node-id syntax shared with the wire (NODE_ID_PATTERN in packages/wire). */
export const NODE_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";
export const NODE_ID_RE = new RegExp(NODE_ID_PATTERN);
