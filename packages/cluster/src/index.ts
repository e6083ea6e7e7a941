export { atomicWriteFile } from "./atomic-write.js";
export { DEFAULT_CLUSTER_YAML } from "./default-cluster.js";
export { describeExpected } from "./describe-error.js";
export { ClusterFileError } from "./errors.js";
export {
  loadClusterFile,
  loadResolvedSpec,
  parseClusterText,
  readYaml,
  validateCluster,
  type YamlSource,
} from "./load.js";
export { GUEST_PANIC_EXIT_CODE } from "./process/exit-codes.js";
export {
  exitWithParent,
  isAlive,
  type NodeChild,
  type SpawnNodeOptions,
  spawnNode,
  stopChild,
} from "./process/spawn-node.js";
export { mergeSettings, resolveCluster, resolveEgd, resolveUserspace } from "./resolve.js";
export {
  type ClusterSpec,
  DEFAULT_GUEST,
  type EgdSpec,
  type GuestSpec,
  type HypervisorSpec,
  USERSPACE_DEFAULTS,
  type UserspaceProgramSpec,
} from "./resolved.js";
export { DEFAULT_RUN_DIR, RunDir, type RunState } from "./run-dir.js";
export {
  type ClusterFile,
  ClusterFileSchema,
  EgdSchema,
  type EgdSettings,
  type GuestSettings,
  GuestSettingsSchema,
  type TokenBucketSpec,
  UserspaceProgramSchema,
  type UserspaceProgramSettings,
} from "./schema.js";
