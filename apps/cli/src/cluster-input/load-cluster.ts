import { readFileSync } from "node:fs";
import {
  ClusterFileError,
  type ClusterSpec,
  DEFAULT_CLUSTER_YAML,
  validateCluster,
} from "@vmrng/cluster";
import { LineCounter, parseDocument } from "yaml";
import { applyOverrides, parseSetOverride, type SetOverride } from "./set-override.js";

/** The name errors use for the embedded cluster `vmrng up` starts with no -f. */
export const DEFAULT_CLUSTER_NAME = "<default cluster>";

const under = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(`${prefix}/`);

/**
 * Reads the cluster file (or the embedded default), applies --set overrides to the parsed
 * document, then validates it, so every error still names the field: file, line and path for
 * the file's own content, the offending `--set` for a value that came from one.
 */
export function loadClusterInput(file: string | undefined, sets: readonly string[]): ClusterSpec {
  const overrides = sets.map(parseSetOverride);
  const name = file ?? DEFAULT_CLUSTER_NAME;
  let text = DEFAULT_CLUSTER_YAML;
  if (file !== undefined) {
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason =
        code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory" : String(err);
      throw new ClusterFileError(file, "", reason);
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    throw new ClusterFileError(
      name,
      "",
      `not valid YAML: ${yamlError.message.split("\n")[0]}`,
      lines.linePos(yamlError.pos[0]).line,
    );
  }
  const { doc: raw, pointers } = applyOverrides(doc.toJS({ maxAliasCount: 100 }), overrides);
  const tainted = taintedPointers(overrides, pointers);
  const lineOf = (path: string): number | undefined => {
    if (tainted.some((t) => under(path, t))) return undefined;
    const keys = path
      .split("/")
      .slice(1)
      .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
  try {
    return validateCluster(raw, name, lineOf);
  } catch (err) {
    if (!(err instanceof ClusterFileError) || err.path === "") throw err;
    const blamed = blame(err.path, overrides, pointers);
    if (blamed === undefined) throw err;
    throw new ClusterFileError(`--set ${blamed.raw}`, err.path, err.expected);
  }
}

/** Paths whose YAML line numbers no longer describe the document after the overrides. */
function taintedPointers(overrides: readonly SetOverride[], pointers: readonly string[]): string[] {
  return pointers.map((p, i) => {
    // Removing a list item shifts every later item: the whole list's lines are stale.
    const removesItem = overrides[i]!.value === null && /\/\d+$/.test(p);
    return removesItem ? p.slice(0, p.lastIndexOf("/")) : p;
  });
}

/** The last override that wrote at or below (or created the parent of) the failing path. */
function blame(
  path: string,
  overrides: readonly SetOverride[],
  pointers: readonly string[],
): SetOverride | undefined {
  for (let i = pointers.length - 1; i >= 0; i--) {
    const p = pointers[i]!;
    if (under(path, p) || under(p, path)) return overrides[i];
  }
  return undefined;
}
