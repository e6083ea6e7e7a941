import { LineCounter, parseDocument } from "yaml";
import { ScenarioError } from "./errors.js";

/** A scenario's YAML as data, with a way back from a field path to its line. */
export interface YamlSource {
  raw: unknown;
  /** The 1-based line of the value at a key path, when the YAML has it. */
  lineOf: (keys: readonly (string | number)[]) => number | undefined;
}

/** Parses YAML text (duplicate keys refused, aliases bounded); a syntax error names its line. */
export function readYaml(text: string, source: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lines.linePos(yamlError.pos[0]).line;
    throw new ScenarioError(
      source,
      "",
      `not valid YAML: ${yamlError.message.split("\n")[0]}`,
      line,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ScenarioError(source, "", `not usable YAML: ${(err as Error).message}`);
  }
  return {
    raw,
    lineOf: (keys) => {
      const node = doc.getIn(keys as (string | number)[], true) as
        | { range?: [number, number, number] }
        | undefined;
      const offset = node?.range?.[0];
      return offset === undefined ? undefined : lines.linePos(offset).line;
    },
  };
}
