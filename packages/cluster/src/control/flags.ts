/** getrandom(2) flags, include/uapi/linux/random.h. */
export const GRND_NONBLOCK = 0x0001;
export const GRND_RANDOM = 0x0002;
export const GRND_INSECURE = 0x0004;

const NAMES: readonly [number, string][] = [
  [GRND_NONBLOCK, "GRND_NONBLOCK"],
  [GRND_RANDOM, "GRND_RANDOM"],
  [GRND_INSECURE, "GRND_INSECURE"],
];

/** Flags as C source would spell them: "0", "GRND_NONBLOCK|GRND_RANDOM", "GRND_INSECURE|0x8". */
export function describeGetrandomFlags(flags: number): string {
  if (flags === 0) return "0";
  const parts: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of NAMES) {
    if (rest & bit) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.join("|");
}
