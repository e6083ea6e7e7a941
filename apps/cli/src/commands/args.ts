import { InvalidArgumentError } from "commander";
import { parseByteSize } from "../byte-size.js";

/** Option parsers: a bad value is a usage error (exit 2) that names the option. */

export function byteCountArg(value: string): number {
  try {
    return parseByteSize(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function secondsArg(value: string): number {
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0)
    throw new InvalidArgumentError("expected a number of seconds > 0");
  return s;
}

export function flagsArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new InvalidArgumentError("expected a u32, e.g. 1 or 0x5");
  return n;
}

export function linesArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a line count >= 0");
  return n;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A node or snapshot id: the wire's NodeId rule (it also names files in the run directory). */
export function nodeIdArg(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(value))
    throw new InvalidArgumentError("expected an id of letters, digits, '.', '_' or '-' (max 63)");
  return value;
}

export function cloneCountArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError("expected a clone count from 1 to 1000");
  return n;
}
