import type { Static, TObject } from "@sinclair/typebox";
import { BOOT_KINDS } from "./catalogue/boot.js";
import { CPU_KINDS } from "./catalogue/cpu.js";
import type { FaultKindDef, FaultLayer, NodeRole } from "./catalogue/define.js";
import { DEVICE_KINDS } from "./catalogue/device.js";
import { LINK_KINDS } from "./catalogue/link.js";
import { PROCESS_KINDS } from "./catalogue/process.js";
import { describeSchema } from "./params.js";

/** Every fault kind, by its exact name. */
export const FAULT_KINDS = {
  ...LINK_KINDS,
  ...DEVICE_KINDS,
  ...BOOT_KINDS,
  ...CPU_KINDS,
  ...PROCESS_KINDS,
} as const;

export type FaultKind = keyof typeof FAULT_KINDS;
/** The parameters of kind K after validation (defaults applied). */
export type FaultParams<K extends FaultKind> = Static<(typeof FAULT_KINDS)[K]["params"]>;

export const FAULT_KIND_NAMES: readonly FaultKind[] = Object.freeze(
  Object.keys(FAULT_KINDS) as FaultKind[],
);

export function isFaultKind(kind: string): kind is FaultKind {
  return Object.hasOwn(FAULT_KINDS, kind);
}

export function kindDef(kind: FaultKind): FaultKindDef {
  return FAULT_KINDS[kind];
}

export function layerOf(kind: FaultKind): FaultLayer {
  return FAULT_KINDS[kind].layer;
}

/**
 * The role of the process that applies `kind` to a node of `targetRole`: the node's parent for
 * link and process faults (host for a hypervisor, hypervisor for a guest), else the fixed owner.
 * Undefined when the target has no parent (the host) and the kind needs one.
 */
export function ownerRole(kind: FaultKind, targetRole: NodeRole): NodeRole | undefined {
  const owner = FAULT_KINDS[kind].owner;
  if (owner !== "parent") return owner;
  if (targetRole === "guest") return "hypervisor";
  if (targetRole === "hypervisor") return "host";
  return undefined;
}

/** One line per kind, as `vmrng fault kinds` prints them. */
export function describeKinds(): { kind: FaultKind; layer: FaultLayer; description: string }[] {
  return FAULT_KIND_NAMES.map((kind) => ({
    kind,
    layer: FAULT_KINDS[kind].layer,
    description: FAULT_KINDS[kind].description,
  }));
}

/** The params of a kind in words, for help text: name, what it accepts, default, required. */
export function describeParams(
  kind: FaultKind,
): { name: string; accepts: string; default?: unknown; required: boolean }[] {
  const schema = FAULT_KINDS[kind].params as TObject;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => {
    const row: { name: string; accepts: string; default?: unknown; required: boolean } = {
      name,
      accepts: describeSchema(s),
      required: required.has(name) && s.default === undefined,
    };
    if (s.default !== undefined) row.default = s.default;
    return row;
  });
}
