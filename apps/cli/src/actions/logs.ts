import { readRunState } from "@vmrng/cluster/control";
import type { RunDirOptions } from "../commands/common.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { FileTail, loggedNodes } from "../logs/log-files.js";
import { colorsEnabled, makeStyler } from "../output/colors.js";
import { EventFormatter } from "../output/event-line.js";
import { isRunning, sleep } from "../process/pids.js";
import { readClusterSpec, runDirFrom } from "./run-dir.js";

export interface LogsOptions extends RunDirOptions {
  follow?: boolean;
  tail?: number;
}

export async function runLogs(node: string | undefined, opts: LogsOptions): Promise<void> {
  const runDir = runDirFrom(opts);
  const spec = readClusterSpec(runDir);
  const nodes = loggedNodes(runDir, spec);
  if (nodes.length === 0 && node === undefined)
    throw new CliError(
      `no logs in ${runDir.logDir}: no cluster has run in ${runDir.root}; start one with 'vmrng up'`,
      ExitCode.NOT_RUNNING,
    );
  if (node !== undefined && !nodes.includes(node))
    throw new CliError(
      `no log for node ${node} in ${runDir.logDir}` +
        (nodes.length ? ` (nodes with logs: ${nodes.join(", ")})` : ""),
      ExitCode.NO_SUCH_NODE,
    );
  const style = makeStyler(colorsEnabled(process.stdout));
  const fmt = new EventFormatter(style, node === undefined ? nodes : []);
  const print = (id: string, lines: string[]): void => {
    if (lines.length === 0) return;
    const text = node === undefined ? lines.map((l) => `${fmt.prefix(id)} ${l}`) : lines;
    process.stdout.write(`${text.join("\n")}\n`);
  };
  const tails = new Map<string, FileTail>();
  const visit = (ids: string[], first: boolean): void => {
    for (const id of ids) {
      let t = tails.get(id);
      if (t === undefined) {
        t = new FileTail(runDir.logFile(id));
        tails.set(id, t);
        print(id, first ? t.seekToLastLines(opts.tail) : t.readNew());
      } else {
        print(id, t.readNew());
      }
    }
  };
  visit(node === undefined ? nodes : [node], true);
  if (!opts.follow) {
    for (const [id, t] of tails) print(id, t.flushPartial());
    return;
  }
  const running = (): boolean => {
    try {
      const s = readRunState(runDir);
      return s !== undefined && isRunning(s.hostPid);
    } catch {
      return false;
    }
  };
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // Follow while the cluster runs; new nodes (a restarted or added guest) join in.
  while (!stop && running()) {
    await sleep(200);
    visit(node === undefined ? loggedNodes(runDir, readClusterSpec(runDir)) : [node], false);
  }
  visit([...tails.keys()], false);
  for (const [id, t] of tails) print(id, t.flushPartial());
}
