import type { LogLevel, VmforkNotice } from "../kernel/index.js";

/**
 * What a program inside the guest can use: the kernel's userspace API (getrandom, the vmfork
 * notification, the VMClock generation check), the virtual clock, and two outputs (a kernel
 * log line for programs that stand for kernel modules, an event for the history).
 */
export interface UserspaceApi {
  getrandom(len: number, flags?: number): Promise<Uint8Array>;
  /** The NEW_VMGENID=1 uevent / a generation-counter change (runs inside the kernel's path). */
  onVmfork(listener: (n: VmforkNotice) => void): () => void;
  /** Counter mode: vm_generation_counter read now; a change runs the vmfork chain first. */
  checkVmGeneration(): Promise<void>;
  /** Virtual ms since boot. */
  now(): number;
  /** Runs `fn` once `ms` of virtual time have passed; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  printk(level: LogLevel, text: string, upstream?: boolean): void;
  /** An event for the history: `kind` is "userspace.<something>". */
  emit(kind: string, message: string, data: Record<string, unknown>): void;
}

/** One running program. */
export interface UserspaceProgram {
  readonly name: string;
  /** Starts fresh, or resumes from the state save() returned (a restore or a clone). */
  start(): void;
  /** Stops its timers and notifications; what is in flight finishes without effect. */
  stop(): void;
  /** Plain data (numbers, strings, bigint, Uint8Array) for the guest's saved state. */
  save(): unknown;
}

export type UserspaceErrorCode = "BAD_CONFIG" | "BAD_STATE";

/** A program configuration or saved state the guest cannot run. */
export class UserspaceError extends Error {
  constructor(
    readonly code: UserspaceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "UserspaceError";
  }
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A program's error for the history: errno name for syscalls, else the message. */
export function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" ? code : e instanceof Error ? e.message : String(e);
}

/** The kernel panicked: the program has nothing left to run on. */
export function isPanic(e: unknown): boolean {
  return (e as { code?: unknown })?.code === "PANICKED";
}
