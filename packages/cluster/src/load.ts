import { readFileSync } from "node:fs";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { LineCounter, parseDocument } from "yaml";
import { describeExpected, refineTaggedUnion } from "./describe-error.js";
import { ClusterFileError } from "./errors.js";
import { resolveCluster } from "./resolve.js";
import type { ClusterSpec } from "./resolved.js";
import { type ClusterFile, ClusterFileSchema } from "./schema.js";

const checkFile = TypeCompiler.Compile(ClusterFileSchema);

/** Ranks errors so the most specific one is reported (a deep field beats its union parent). */
const depth = (path: string): number => path.split("/").length;

/** A cluster file's YAML as data, with a way back from a field path to its line. */
export interface YamlSource {
  raw: unknown;
  /** The 1-based line of the value at a JSON-pointer-like path, when the YAML has it. */
  lineOf: (path: string) => number | undefined;
}

/** Parses YAML text (duplicate keys refused, aliases bounded); a syntax error names its line. */
export function readYaml(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lines.linePos(yamlError.pos[0]).line;
    throw new ClusterFileError(
      file,
      "",
      `not valid YAML: ${yamlError.message.split("\n")[0]}`,
      line,
    );
  }
  return {
    raw: doc.toJS({ maxAliasCount: 100 }),
    lineOf: (path) => {
      const keys = path
        .split("/")
        .slice(1)
        .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
      const offset = node?.range?.[0];
      return offset === undefined ? undefined : lines.linePos(offset).line;
    },
  };
}

/** Parses YAML text, validates it against the schema and resolves defaults. */
export function parseClusterText(text: string, file: string): ClusterSpec {
  const { raw, lineOf } = readYaml(text, file);
  return validateCluster(raw, file, lineOf);
}

/** Validates an already-parsed document (e.g. JSON from the wire) and resolves defaults. */
export function validateCluster(
  raw: unknown,
  file: string,
  lineOf: (path: string) => number | undefined = () => undefined,
): ClusterSpec {
  if (!checkFile.Check(raw)) {
    const errors = [...checkFile.Errors(raw)];
    const worst = refineTaggedUnion(
      errors.reduce((a, b) => (depth(b.path) > depth(a.path) ? b : a)),
    );
    throw new ClusterFileError(file, worst.path, describeExpected(worst), lineOf(worst.path));
  }
  return resolveCluster(raw as ClusterFile, file, lineOf);
}

/** Reads and validates a cluster file; any problem is a ClusterFileError naming the file. */
export function loadClusterFile(path: string): ClusterSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(err);
    throw new ClusterFileError(path, "", reason);
  }
  return parseClusterText(text, path);
}

/**
 * Reads the resolved spec a run directory holds (cluster.json, written by `vmrng up`) and checks
 * it through the same schema as a cluster file: a resolved spec is a cluster file with every
 * setting filled in, plus each guest's `hypervisor`, which is implied by where it stands.
 */
export function loadResolvedSpec(path: string): ClusterSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ClusterFileError(
      path,
      "",
      `cannot read the resolved cluster spec: ${(err as Error).message}`,
    );
  }
  const doc = raw as { hypervisors?: { guests?: Record<string, unknown>[] }[] };
  for (const hv of Array.isArray(doc?.hypervisors) ? doc.hypervisors : []) {
    for (const g of Array.isArray(hv?.guests) ? hv.guests : []) {
      if (g && typeof g === "object") delete g.hypervisor;
    }
  }
  return validateCluster(raw, path);
}
