import { join } from "node:path";
import { atomicWriteFile } from "@vmrng/cluster";
import { ControlClient } from "@vmrng/cluster/control";
import type { ValidFault } from "@vmrng/faults";
import { computeStats, renderSummary, runCheckers, summaryJson } from "@vmrng/scenario";
import { note } from "../commands/common.js";
import { colorsEnabled } from "../output/colors.js";
import { type LaunchedHost, launchHost, waitForHostState } from "../process/launch-host.js";
import { teardown } from "../process/teardown.js";
import { guestFacts } from "./cluster-facts.js";
import { EventRecorder } from "./event-recorder.js";
import { FaultRunner } from "./fault-runner.js";
import { GuestTracker } from "./guest-tracker.js";
import { HistoryWriter } from "./history-writer.js";
import { loadScenario } from "./load-scenario.js";
import { OpRunner } from "./op-runner.js";
import { runPlan, targetRandom } from "./plan.js";
import { PlanDriver, SETTLE_MS } from "./plan-driver.js";
import { claimScenarioRunDir, SCENARIO_HISTORY, SCENARIO_PLAN, scenarioRunDir } from "./run-dir.js";
import { asBadInput, infraError, RunExit } from "./run-errors.js";
import { checkScenarioAgainstCluster } from "./validate-faults.js";
import { waitBooted } from "./wait-booted.js";

export interface RunOptions {
  seed?: number;
  json?: boolean;
  runDir?: string;
  keep?: boolean;
}

/** How long the host may take to listen and record itself (as `vmrng up`). */
const HOST_START_MS = 15_000;
/** Bounds on the wait for every kernel to run before the plan starts. */
const BOOT_WAIT_MIN_MS = 10_000;
const BOOT_WAIT_MAX_MS = 60_000;

/**
 * How long one op may wait for its reply. A request swallowed by a partition or a blackhole
 * never gets one; past this it is recorded as `info` (outcome unknown) and its client moves on,
 * as a Jepsen client does on a timeout. A blocking getrandom on a starved guest fits well inside.
 */
const OP_TIMEOUT_MS = 5000;

/** The signals that stop a run: the cluster is torn down, and the exit is 128 + signal. */
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof SIGNALS;

/**
 * `vmrng run SCENARIO`: validate everything, start a fresh cluster in the run's own directory,
 * drive the seeded plan while recording the history, stop the cluster, run the checkers and
 * print the summary. Resolves with the exit code (see RunExit).
 */
export async function runScenario(arg: string, opts: RunOptions): Promise<number> {
  // ---- everything that can be wrong with the input, before any process starts ----------
  const { scenario, cluster, file } = await asBadInput(() => loadScenario(arg));
  const seed = opts.seed ?? scenario.seed;
  const checked = await asBadInput(() => checkScenarioAgainstCluster(scenario, cluster));
  const faultSteps = new Map<number, ValidFault>(checked.map((f) => [f.step, f.fault]));
  const plan = await asBadInput(() => runPlan(scenario, seed));
  const runDir = scenarioRunDir(opts.runDir, scenario.name, seed);
  claimScenarioRunDir(runDir);

  // ---- the run directory -----------------------------------------------------------------
  runDir.create();
  atomicWriteFile(runDir.clusterFile, `${JSON.stringify(cluster, null, 2)}\n`, 0o600);
  atomicWriteFile(
    join(runDir.root, SCENARIO_PLAN),
    `${JSON.stringify({ file, scenario, seed, plan }, null, 2)}\n`,
    0o600,
  );
  const historyPath = join(runDir.root, SCENARIO_HISTORY);
  const history = new HistoryWriter(historyPath, Date.now());
  history.append({ type: "run", phase: "start", scenario: scenario.name, seed });
  if (!opts.json) note(`run ${scenario.name} (seed ${seed}) in ${runDir.root}`);

  const abort = new AbortController();
  let stoppedBy: StopSignal | undefined;
  let infra: string | undefined;
  /** Set once the run is over: the host exiting or the connection closing is expected then. */
  let finishing = false;
  const onSignal = (sig: StopSignal) => {
    if (stoppedBy) return;
    stoppedBy = sig;
    note(`${sig}: stopping the run and its cluster`);
    abort.abort();
  };
  for (const s of Object.keys(SIGNALS) as StopSignal[]) process.on(s, onSignal);

  let host: LaunchedHost | undefined;
  let client: ControlClient | undefined;
  let state: Awaited<ReturnType<typeof waitForHostState>> | undefined;
  let recorder: EventRecorder | undefined;
  let faults: FaultRunner | undefined;
  let waitTimeouts: string[] = [];
  try {
    // ---- the cluster ----------------------------------------------------------------------
    try {
      if (abort.signal.aborted) throw new Error("interrupted before start");
      host = launchHost(runDir, opts.keep === true);
      state = await waitForHostState(runDir, host, HOST_START_MS);
      client = await ControlClient.connect(runDir, { software: "vmrng-run" });
    } catch (err) {
      throw infraError(`the cluster did not start: ${(err as Error).message}`);
    }
    void host.exited.then((code) => {
      if (finishing || abort.signal.aborted) return;
      infra = `the host exited (status ${code}) during the run`;
      abort.abort();
    });
    client.onClose((error) => {
      if (!error || finishing || abort.signal.aborted) return;
      infra = `lost the control connection to the host: ${error.message}`;
      abort.abort();
    });
    const guests = new GuestTracker(cluster);
    recorder = new EventRecorder(history, runDir);
    recorder.onEvent((e) => guests.observe(e));
    await recorder.start(client);
    for (const hv of cluster.hypervisors) {
      history.append({ type: "node", node: hv.id, role: "hypervisor", parent: "host" });
      for (const g of hv.guests)
        history.append({
          type: "node",
          node: g.id,
          role: "guest",
          parent: hv.id,
          facts: guestFacts(g),
        });
    }
    const bootWaitMs = Math.min(
      BOOT_WAIT_MAX_MS,
      Math.max(BOOT_WAIT_MIN_MS, scenario.deadlines.readyMs),
    );
    const late = await waitBooted(client, cluster, bootWaitMs, abort.signal);
    if (late.length && !abort.signal.aborted)
      note(`not booted after ${bootWaitMs / 1000} s, running anyway: ${late.join(", ")}`);

    // ---- the plan ---------------------------------------------------------------------------
    if (!abort.signal.aborted) {
      history.append({ type: "run", phase: "cluster-up", scenario: scenario.name, seed });
      const runEndsAt = Date.now() + scenario.durationMs;
      const ops = new OpRunner(client, history, guests, () =>
        Math.min(OP_TIMEOUT_MS, runEndsAt + SETTLE_MS - Date.now()),
      );
      faults = new FaultRunner(client, history, guests, targetRandom(seed));
      const driver = new PlanDriver({
        history,
        events: recorder,
        guests,
        ops,
        faults,
        faultSteps,
        durationMs: scenario.durationMs,
        signal: abort.signal,
      });
      await driver.run(plan);
      waitTimeouts = driver.waitTimeouts;
    }
  } finally {
    finishing = true;
    if (!history.closed) {
      history.append({ type: "run", phase: "end", scenario: scenario.name, seed });
      history.close();
    }
    await recorder?.stop();
    for (const s of Object.keys(SIGNALS) as StopSignal[]) process.off(s, onSignal);
    if (host && (opts.keep !== true || stoppedBy || infra !== undefined)) {
      const r = await teardown(runDir, runDir.readState() ?? state, client, 5000);
      if (r.survivors.length) note(`pids ${r.survivors.join(", ")} survived SIGKILL`);
    } else if (host) {
      await client?.close().catch(() => {});
      note(
        `the cluster keeps running in ${runDir.root}; stop it with 'vmrng down --run-dir ${runDir.root}'`,
      );
    }
  }

  // ---- the verdict -------------------------------------------------------------------------
  const records = history.records;
  const verdict = runCheckers(
    records,
    { deadlineMs: scenario.deadlines.readyMs },
    scenario.expect.violations,
  );
  const stats = computeStats(records, { historyPath });
  const faultErrors = faults?.errors ?? [];
  const ok = verdict.ok && faultErrors.length === 0 && infra === undefined && !stoppedBy;
  if (opts.json) {
    const doc = {
      ...summaryJson(verdict, stats, records),
      ok,
      runDir: runDir.root,
      faultErrors,
      waitTimeouts,
      ...(infra ? { infrastructureError: infra } : {}),
      ...(stoppedBy ? { interrupted: stoppedBy } : {}),
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(
      renderSummary(verdict, stats, records, { color: colorsEnabled(process.stdout) }),
    );
    for (const e of faultErrors) note(`fault not applied: ${e}`);
    if (faultErrors.length && verdict.ok)
      note("the run fails: the invariants were not tested under every fault of the scenario");
    for (const w of waitTimeouts) note(`wait timed out: ${w}`);
    if (stoppedBy)
      note(`${stoppedBy}: the run was cut short; the checks above cover only what ran`);
    note(`history: ${historyPath}`);
  }
  if (stoppedBy) return SIGNALS[stoppedBy];
  if (infra !== undefined) throw infraError(infra);
  return ok ? RunExit.OK : RunExit.VIOLATION;
}
