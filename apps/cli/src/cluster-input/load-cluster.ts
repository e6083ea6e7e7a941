import { readFileSync } from "node:fs";
import {
  ClusterFileError,
  type ClusterSpec,
  DEFAULT_CLUSTER_YAML,
  readYaml,
  validateCluster,
} from "@vmrng/cluster";
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
  const yaml = readYaml(text, name);
  const { doc: raw, pointers } = applyOverrides(yaml.raw, overrides);
  const tainted = taintedPointers(overrides, pointers);
  // Lines of fields an override rewrote no longer describe the document: report none for them.
  const lineOf = (path: string): number | undefined =>
    tainted.some((t) => under(path, t)) ? undefined : yaml.lineOf(path);
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
