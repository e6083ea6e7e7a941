import { GuestKernelError } from "./errors.js";

export function lenArg(len: unknown): number {
  if (typeof len !== "number" || !Number.isSafeInteger(len) || len < 0) {
    throw new GuestKernelError(
      "BAD_ARGUMENT",
      `length must be a non-negative integer, got ${String(len)}`,
    );
  }
  return len;
}

/** getrandom()'s `unsigned int flags`: any u32 (unknown bits are the kernel's EINVAL to give). */
export function flagsArg(flags: unknown): number {
  if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0 || flags > 0xffff_ffff) {
    throw new GuestKernelError(
      "BAD_ARGUMENT",
      `flags must be an unsigned int, got ${String(flags)}`,
    );
  }
  return flags;
}

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Call a user-supplied callback; its exception must not break the kernel path calling it. */
export function isolated(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}
