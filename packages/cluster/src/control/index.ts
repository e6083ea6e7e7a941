/**
 * @vmrng/cluster/control — talk to a running cluster: find it through its run directory and
 * call the host's control endpoint with typed methods. Used by the CLI, scenarios and dashboard.
 */
export {
  type ClusterEvent,
  type ClusterStateReply,
  ControlClient,
  type ControlConnectOptions,
  type EventFilter,
  type LogPage,
  type RngSource,
  type Subscription,
  type VmStateReply,
} from "./control-client.js";
export {
  ClusterNotRunningError,
  GuestErrnoError,
  type NotRunningReason,
  RunStateError,
} from "./errors.js";
export { describeGetrandomFlags, GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from "./flags.js";
export { locateCluster, readRunState } from "./locate.js";
