export type { FaultKindDef, FaultLayer, NodeRole, OwnerRule } from "./catalogue/define.js";
export { NODE_ID_PATTERN } from "./catalogue/define.js";
export type { LinkDirection } from "./catalogue/link.js";
export {
  describeKinds,
  describeParams,
  FAULT_KIND_NAMES,
  FAULT_KINDS,
  type FaultKind,
  type FaultParams,
  isFaultKind,
  kindDef,
  layerOf,
  ownerRole,
} from "./catalogue.js";
export {
  type AttackerChannel,
  attackerBytes,
  attackerU64,
} from "./decide/attacker.js";
export { BOOT_SEED_LENGTH, type BootSeedOverride, bootSeedOverride } from "./decide/boot.js";
export {
  clockJumpMs,
  clockRate,
  RDRAND_STUCK_VALUE,
  type RdrandPlan,
  rdrandPlan,
} from "./decide/cpu.js";
export {
  linkToxicsFor,
  type Toxic,
  type ToxicDirection,
  type ToxicPlacement,
} from "./decide/link.js";
export { type MsrFaultAnswer, msrFaultAnswer } from "./decide/msr.js";
export { type ProcessAction, processAction } from "./decide/process.js";
export { type VirtioAnswer, type VirtioFaultPlan, virtioFaultFor } from "./decide/virtio.js";
export { VMGENID_SIZE, type VmgenidNotifyPlan, vmgenidNotifyPlan } from "./decide/vmgenid.js";
export { MAX_DURATION_MS, parseDuration } from "./duration.js";
export { FaultError, type FaultErrorCode } from "./errors.js";
export { SeededRandom } from "./random.js";
export { parseFaultSpec, type RawFault, type ValidFault, validateFaultSpec } from "./spec.js";
export { closestMatch } from "./suggest.js";
export { type FaultListing, FaultTable, type FaultTableEntry } from "./table.js";
export {
  assertKindAcceptsRole,
  type ClusterNode,
  ownerNode,
  parseTarget,
  resolveTargets,
  selectorRole,
  type TargetSelector,
} from "./targets.js";
