export {
  type UserspaceApi,
  UserspaceError,
  type UserspaceErrorCode,
  type UserspaceProgram,
} from "./api.js";
export { GetrandomLoad } from "./getrandom-load.js";
export { kernelUserspaceApi } from "./kernel-api.js";
export { INITIAL_CHAINING_KEY, kdf2, keyFingerprint } from "./noise-kdf.js";
export { createProgram, PROGRAMS, UserspaceRunner } from "./registry.js";
export { REKEY_AFTER_TIME_MS, Wireguard } from "./wireguard.js";
