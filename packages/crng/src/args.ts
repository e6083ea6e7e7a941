import { CrngError } from "./errors.js";
import type { Utsname } from "./kernel/collect.js";

/** Argument checks for the public API: bad input is a CrngError("EARG"), never a crash. */

export function bytesArg(v: unknown, name: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new CrngError("EARG", `${name} must be a Uint8Array`);
  return v;
}

export function lenArg(len: unknown): number {
  if (typeof len !== "number" || !Number.isSafeInteger(len) || len < 0) {
    throw new CrngError("EARG", `length must be a non-negative integer, got ${String(len)}`);
  }
  return len;
}

export function flagsArg(flags: unknown): number {
  if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0 || flags > 0xffff_ffff) {
    throw new CrngError("EARG", `flags must be an unsigned int, got ${String(flags)}`);
  }
  return flags;
}

export function countArg(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new CrngError("EARG", `${name} must be a non-negative integer`);
  }
  return v;
}

const UTS_FIELDS = ["sysname", "nodename", "release", "version", "machine", "domainname"] as const;

export function utsnameArg(v: unknown): Utsname {
  if (typeof v !== "object" || v === null) throw new CrngError("EARG", "utsname must be an object");
  const o = v as Record<string, unknown>;
  for (const f of UTS_FIELDS) {
    if (typeof o[f] !== "string") throw new CrngError("EARG", `utsname.${f} must be a string`);
  }
  return v as Utsname;
}
