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
