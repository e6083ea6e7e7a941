/** Lower-case hex of even length (the history's encoding of byte values). */
const HEX = /^(?:[0-9a-f]{2})*$/;

export const isHex = (s: string): boolean => HEX.test(s);

/** The first `bytes` bytes of a hex value followed by an ellipsis, for messages: `9f3a1c0e…`. */
export function shortHex(hex: string, bytes = 4): string {
  return hex.length <= bytes * 2 ? hex : `${hex.slice(0, bytes * 2)}…`;
}
