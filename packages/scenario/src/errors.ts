/** Why a scenario (YAML text or a TypeScript module's default export) was refused. */
export class ScenarioError extends Error {
  readonly code = "E_SCENARIO";
  constructor(
    /** The scenario file or module named by the user. */
    readonly source: string,
    /** Where in the scenario, e.g. `schedule[3].at` ("" for the whole document). */
    readonly path: string,
    /** What was expected there, in words. */
    readonly expected: string,
    /** The 1-based YAML line of the offending value, when known. */
    readonly line?: number,
  ) {
    const where = line === undefined ? source : `${source}:${line}`;
    super(`${where}: ${path || "(scenario)"}: ${expected}`);
    this.name = "ScenarioError";
  }
}

/** Why a history file could not be read (a torn last line is not an error: it is skipped). */
export class HistoryError extends Error {
  readonly code = "E_HISTORY";
  constructor(
    /** The 1-based line of history.jsonl that is malformed. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(`history line ${line}: ${reason}`);
    this.name = "HistoryError";
  }
}
