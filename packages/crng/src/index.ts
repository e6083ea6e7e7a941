export { type ArchRandom, NoArchRandom } from "./arch.js";
export { type Clock, ManualClock } from "./clock.js";
export { Crng, type CrngInitState, type RestoreEnv, type VmforkNotifier } from "./crng.js";
export { blake2sKeyed, PoolHash } from "./crypto/blake2s.js";
export {
  type ChachaState,
  chacha20Block,
  chachaBlocks,
  chachaInit,
  newChachaState,
} from "./crypto/chacha20.js";
export { CrngError, type CrngErrorCode } from "./errors.js";
export {
  type CrngEvent,
  type CrngEventKind,
  type CrngEventListener,
  EventLog,
  type ReseedReason,
} from "./events.js";
export { DEFAULT_UTSNAME, type Utsname } from "./kernel/collect.js";
export {
  CRNG_RESEED_INTERVAL_S,
  CRNG_RESEED_START_INTERVAL_S,
  EAGAIN,
  EINVAL,
  ENODATA,
  GRND_INSECURE,
  GRND_NONBLOCK,
  GRND_RANDOM,
  POOL_BITS,
  POOL_EARLY_BITS,
  POOL_READY_BITS,
} from "./kernel/constants.js";
export {
  type CrngOptions,
  DEFAULT_VDSO_BATCH_BLOCKS,
  type JitterOptions,
} from "./options.js";
export { type CrngSnapshot, SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from "./snapshot.js";
export { VDSO_BATCH_BLOCKS, VgetrandomState } from "./vdso/vgetrandom-state.js";
