import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ClusterSpec, loadClusterFile, readYaml, validateCluster } from "@vmrng/cluster";
import { parseScenarioYaml, type Scenario, validateScenarioModule } from "@vmrng/scenario";
import { CliError, ExitCode } from "../exit-codes.js";

/** The scenario library, found from this file (apps/cli/{src,dist}/run → tools/scenarios). */
export const SCENARIO_LIBRARY = fileURLToPath(
  new URL("../../../../tools/scenarios/", import.meta.url),
);

const YAML_EXT = new Set([".yaml", ".yml"]);
const TS_EXT = new Set([".ts", ".mts"]);
const JS_EXT = new Set([".js", ".mjs"]);
const EXTENSIONS = [...YAML_EXT, ...TS_EXT, ...JS_EXT];

/** A scenario ready to run: validated, with its cluster resolved and validated. */
export interface LoadedScenario {
  scenario: Scenario;
  cluster: ClusterSpec;
  /** Absolute path of the scenario file. */
  file: string;
}

const badInput = (message: string): CliError => new CliError(message, ExitCode.USAGE);

/**
 * SCENARIO as the user typed it: a path to a file (.yaml, .yml, .ts, .mts, .js, .mjs), or the
 * bare name of a scenario in tools/scenarios (`fork-notify` → tools/scenarios/fork-notify.yaml).
 */
export function locateScenario(arg: string, library = SCENARIO_LIBRARY): string {
  const asPath = resolve(arg);
  if (existsSync(asPath)) {
    if (statSync(asPath).isDirectory()) throw badInput(`${arg}: is a directory, not a scenario`);
    return asPath;
  }
  if (/^[a-z0-9][a-z0-9-]*$/.test(arg)) {
    for (const ext of EXTENSIONS) {
      const candidate = resolve(library, `${arg}${ext}`);
      if (existsSync(candidate)) return candidate;
    }
    const known = libraryScenarios(library);
    throw badInput(
      `no file '${arg}' and no scenario named '${arg}' in ${library}` +
        (known.length ? ` (known: ${known.join(", ")})` : ""),
    );
  }
  throw badInput(`${arg}: file not found`);
}

/** The names of the library's scenarios, sorted. */
export function libraryScenarios(library = SCENARIO_LIBRARY): string[] {
  let files: string[];
  try {
    files = readdirSync(library);
  } catch {
    return [];
  }
  const names = files.filter((f) => EXTENSIONS.includes(extname(f)));
  return [...new Set(names.map((f) => basename(f, extname(f))))].sort();
}

interface TsxApi {
  tsImport(specifier: string, parent: string): Promise<unknown>;
}

/**
 * A TypeScript module through tsx's programmatic API (tsx is a devDependency of the vmrng
 * workspace). Without tsx, a plain import still works when node runs with `--import tsx`.
 */
async function importTypeScript(file: string): Promise<unknown> {
  const specifier = "tsx/esm/api";
  let api: TsxApi | undefined;
  try {
    api = (await import(specifier)) as TsxApi;
  } catch {
    api = undefined;
  }
  if (api) return api.tsImport(pathToFileURL(file).href, import.meta.url);
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    throw badInput(
      `${file}: cannot load a TypeScript scenario without tsx (${(err as Error).message}); ` +
        "run 'node --import tsx apps/cli/dist/main.js run …', or write the scenario in YAML or .mjs",
    );
  }
}

async function importModule(file: string): Promise<unknown> {
  if (TS_EXT.has(extname(file))) return importTypeScript(file);
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    throw badInput(`${file}: cannot import the scenario module: ${(err as Error).message}`);
  }
}

/** Reads and validates the scenario file; any problem is a usage error (exit 2). */
export async function readScenario(file: string): Promise<Scenario> {
  const ext = extname(file);
  if (YAML_EXT.has(ext)) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw badInput(`${file}: ${(err as Error).message}`);
    }
    return parseScenarioYaml(text, file);
  }
  if (TS_EXT.has(ext) || JS_EXT.has(ext))
    return validateScenarioModule(await importModule(file), file);
  throw badInput(
    `${file}: a scenario is YAML (.yaml, .yml) or a module (.ts, .mts, .js, .mjs), not '${ext || "no extension"}'`,
  );
}

/**
 * The scenario's cluster: `clusterFile` relative to the scenario, or the inline `cluster`
 * (checked by @vmrng/cluster, errors pointing at the scenario's own lines when it is YAML; a
 * missing `name` defaults to the scenario's).
 */
export function scenarioCluster(scenario: Scenario, file: string): ClusterSpec {
  if (scenario.clusterFile !== undefined)
    return loadClusterFile(resolve(dirname(file), scenario.clusterFile));
  const raw = { name: scenario.name, ...(scenario.cluster ?? {}) };
  let lineOf: (path: string) => number | undefined = () => undefined;
  if (YAML_EXT.has(extname(file))) {
    try {
      const yaml = readYaml(readFileSync(file, "utf8"), file);
      lineOf = (path) => yaml.lineOf(`/cluster${path}`);
    } catch {
      // The scenario parsed a moment ago; without line numbers the error still names the path.
    }
  }
  return validateCluster(raw, `${file} (cluster)`, lineOf);
}

/** Locates, reads and validates a scenario and its cluster. */
export async function loadScenario(
  arg: string,
  library = SCENARIO_LIBRARY,
): Promise<LoadedScenario> {
  const file = locateScenario(arg, library);
  const scenario = await readScenario(file);
  return { scenario, cluster: scenarioCluster(scenario, file), file };
}
