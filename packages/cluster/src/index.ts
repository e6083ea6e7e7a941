export { DEFAULT_CLUSTER_YAML } from "./default-cluster.js";
export { ClusterFileError } from "./errors.js";
export { loadClusterFile, parseClusterText, validateCluster } from "./load.js";
export { mergeSettings, resolveCluster } from "./resolve.js";
export {
  type ClusterSpec,
  DEFAULT_GUEST,
  type GuestSpec,
  type HypervisorSpec,
} from "./resolved.js";
export {
  type ClusterFile,
  ClusterFileSchema,
  type GuestSettings,
  GuestSettingsSchema,
  type TokenBucketSpec,
} from "./schema.js";
