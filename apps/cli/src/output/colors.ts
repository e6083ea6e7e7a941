/** SGR codes (ECMA-48) for the few styles we use; each pair is open / close. */
const SGR = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
  brightGreen: [92, 39],
  brightYellow: [93, 39],
  brightBlue: [94, 39],
  brightMagenta: [95, 39],
  brightCyan: [96, 39],
} as const;
export type StyleName = keyof typeof SGR;

/** Styles text for one output stream; identity when colors are off. */
export interface Styler {
  readonly enabled: boolean;
  (style: StyleName | readonly StyleName[], text: string): string;
}

/**
 * Colors only for a terminal: never when NO_COLOR is set (no-color.org) or TERM=dumb; FORCE_COLOR
 * (non-"0") turns them on even for a pipe.
 */
export function colorsEnabled(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function makeStyler(enabled: boolean): Styler {
  const fn = ((style: StyleName | readonly StyleName[], text: string): string => {
    if (!enabled) return text;
    const styles = typeof style === "string" ? [style] : style;
    let out = text;
    for (const s of styles) out = `\x1b[${SGR[s][0]}m${out}\x1b[${SGR[s][1]}m`;
    return out;
  }) as Styler;
  Object.defineProperty(fn, "enabled", { value: enabled });
  return fn;
}

/** Per-node colors, picked by a stable hash of the id so a node keeps its color across runs. */
const NODE_COLORS: readonly StyleName[] = [
  "cyan",
  "green",
  "yellow",
  "magenta",
  "blue",
  "brightCyan",
  "brightGreen",
  "brightYellow",
  "brightMagenta",
  "brightBlue",
];

export function nodeColor(id: string): StyleName {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return NODE_COLORS[h % NODE_COLORS.length]!;
}

/** Removes SGR sequences, e.g. to measure the printed width of a styled cell. */
const SGR_SEQUENCE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
/** One SGR sequence at the start of a string. */
export const SGR_AT_START = new RegExp(`^${String.fromCharCode(27)}\\[[0-9;]*m`);
export const stripAnsi = (s: string): string => s.replace(SGR_SEQUENCE, "");
