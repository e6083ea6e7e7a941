import { defineKind, NoParams } from "./define.js";

const proc = { layer: "process", owner: "parent", roles: ["hypervisor", "guest"] } as const;

/** Faults of a node's OS process, applied by its parent (which spawned it). */
export const PROCESS_KINDS = {
  kill: defineKind({
    ...proc,
    params: NoParams,
    description: "SIGKILL the node's process",
    counterpart: "a crash, the OOM killer, a host reboot (Jepsen kill, Pumba kill)",
  }),
  pause: defineKind({
    ...proc,
    params: NoParams,
    description: "SIGSTOP the node's process; removal or expiry sends SIGCONT",
    counterpart: "a stopped VM, a long GC or scheduling pause (Jepsen pause, Pumba pause)",
  }),
  restart: defineKind({
    ...proc,
    params: NoParams,
    description: "stop the node's process and start it again",
    counterpart: "a service restart or VM reboot",
  }),
} as const;
