import type { ClusterSpec, RunDir, RunState } from "@vmrng/cluster";
import { type ClusterEvent, ControlClient } from "@vmrng/cluster/control";
import { note } from "../commands/common.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { colorsEnabled, makeStyler } from "../output/colors.js";
import { EventFormatter } from "../output/event-line.js";
import { LiveRegion } from "../output/live-region.js";
import { type LaunchedHost, tail } from "../process/launch-host.js";
import { recordedPids, teardown } from "../process/teardown.js";
import { guestTable } from "./guest-table.js";
import { eventKey, readHistoryEvents } from "./history-file.js";

/** The live table's refresh period; a large cluster is polled less often (every guest answers). */
const statusPollMs = (guests: number): number => (guests > 16 ? 1000 : 500);

/**
 * `vmrng up` in the foreground: every node's events as prefixed lines (kernel log lines look
 * like dmesg), a live guest table at the bottom of a terminal, and Ctrl-C (SIGINT/SIGTERM/SIGHUP)
 * stops the whole cluster in order. A second signal kills it at once. Resolves with the exit code.
 */
export async function runForeground(
  runDir: RunDir,
  spec: ClusterSpec,
  host: LaunchedHost,
  state: RunState,
  timeoutMs: number,
): Promise<number> {
  const out = process.stdout;
  const tty = out.isTTY === true;
  const style = makeStyler(colorsEnabled(out));
  const ids = ["host", ...spec.hypervisors.flatMap((h) => [h.id, ...h.guests.map((g) => g.id)])];
  const fmt = new EventFormatter(style, ids);
  const region = tty ? new LiveRegion(out) : undefined;
  const print = (line: string): void => {
    if (region) region.log(line);
    else out.write(`${line}\n`);
  };

  const client = await ControlClient.connect(runDir);

  // Backfill from history.jsonl what happened before the subscription, without duplicates.
  const fromHistory = new Map<string, number>();
  let backfilled = false;
  const early: ClusterEvent[] = [];
  const show = (e: ClusterEvent): void => {
    const k = eventKey(e);
    const n = fromHistory.get(k);
    if (n !== undefined) {
      if (n <= 1) fromHistory.delete(k);
      else fromHistory.set(k, n - 1);
      return;
    }
    print(fmt.format(e));
  };
  await client.subscribe({}, (e) => (backfilled ? show(e) : early.push(e)));
  for (const e of readHistoryEvents(runDir.historyFile)) {
    const k = eventKey(e);
    fromHistory.set(k, (fromHistory.get(k) ?? 0) + 1);
    print(fmt.format(e));
  }
  backfilled = true;
  for (const e of early) show(e);

  let stopping: "SIGINT" | "SIGTERM" | "SIGHUP" | undefined;
  let poll: NodeJS.Timeout | undefined;
  const footer = (): string => (stopping ? "stopping…" : "Ctrl-C stops the cluster");
  if (region) {
    const refresh = async (): Promise<void> => {
      try {
        const nodes = await client.status();
        if (!stopping) region.setBlock(guestTable(spec, nodes, style, footer()));
      } catch {
        // The host is going away; its exit is handled below.
      }
      if (!stopping && client.connected) poll = setTimeout(refresh, statusPollMs(ids.length));
    };
    void refresh();
  }

  const result = await new Promise<number>((resolve) => {
    const onSignal = (signal: "SIGINT" | "SIGTERM" | "SIGHUP"): void => {
      if (stopping) {
        // Second signal: no more patience.
        const latest = runDir.readState() ?? state;
        for (const pid of recordedPids(latest)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {}
        }
        return;
      }
      stopping = signal;
      if (poll) clearTimeout(poll);
      region?.close();
      note(`${signal}: stopping the cluster (again to kill it)`);
      void teardown(runDir, runDir.readState() ?? state, client, timeoutMs).then((r) => {
        if (r.killed.length)
          note(`killed pids ${r.killed.join(", ")} that outlived the grace period`);
        if (r.survivors.length) note(`pids ${r.survivors.join(", ")} survived SIGKILL`);
        resolve(signal === "SIGINT" ? ExitCode.INTERRUPTED : ExitCode.TERMINATED);
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
    void host.exited.then(async (code) => {
      if (stopping) return;
      stopping = "SIGTERM";
      if (poll) clearTimeout(poll);
      region?.close();
      // Stopped from elsewhere (`vmrng down`) or crashed: make sure nothing is left either way.
      const r = await teardown(runDir, runDir.readState() ?? state, undefined, 0);
      if (code === 0) {
        note(`cluster "${spec.name}" stopped`);
        resolve(ExitCode.OK);
      } else {
        const last = tail(host.stdioLog);
        note(
          `the host exited with status ${code}` +
            (r.killed.length ? `; killed leftover pids ${r.killed.join(", ")}` : "") +
            (last ? `; its last output:\n${last}` : ""),
        );
        resolve(ExitCode.FAILURE);
      }
    });
  });
  await client.close().catch(() => {});
  if (result !== ExitCode.OK && result !== ExitCode.INTERRUPTED && result !== ExitCode.TERMINATED)
    throw new CliError("the cluster stopped abnormally", result as ExitCode);
  return result;
}
