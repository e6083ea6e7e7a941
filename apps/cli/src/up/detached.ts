import type { ClusterSpec, RunDir, RunState } from "@vmrng/cluster";
import { ControlClient } from "@vmrng/cluster/control";
import { note } from "../commands/common.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { colorsEnabled, makeStyler } from "../output/colors.js";
import { formatDuration, renderTable } from "../output/table.js";
import type { LaunchedHost } from "../process/launch-host.js";
import { type TargetReport, waitForTargets } from "./wait-targets.js";

export interface UpDocument {
  format: 1;
  runDir: string;
  cluster: string;
  hostPid: number;
  controlUrl: string;
  /** Present with --wait: true when every guest reached its boot target. */
  ok?: boolean;
  guests?: TargetReport[];
}

/**
 * `vmrng up --detach [--wait]`: leave the cluster running in the background. With --wait,
 * return only once every guest reached its boot target (exit 0) or one failed or the timeout
 * passed (exit 4, naming each guest and why). The cluster keeps running either way.
 */
export async function runDetached(
  runDir: RunDir,
  spec: ClusterSpec,
  host: LaunchedHost,
  state: RunState,
  opts: { wait: boolean; timeoutMs: number; json: boolean },
): Promise<void> {
  const doc: UpDocument = {
    format: 1,
    runDir: runDir.root,
    cluster: spec.name,
    hostPid: state.hostPid,
    controlUrl: state.controlUrl,
  };
  let reports: TargetReport[] | undefined;
  if (opts.wait) {
    const client = await ControlClient.connect(runDir);
    const progress = process.stderr.isTTY === true && !opts.json;
    let hostGone = false;
    void host.exited.then(() => {
      hostGone = true;
    });
    try {
      reports = await waitForTargets(client, spec, opts.timeoutMs, (decided, total) => {
        if (progress)
          process.stderr.write(`\r\x1b[2Kvmrng: waiting for boot targets: ${decided}/${total}`);
      });
    } catch (err) {
      if (hostGone || !client.connected)
        throw new CliError(
          `the host exited while the guests were booting (see ${runDir.logDir})`,
          ExitCode.FAILURE,
        );
      throw err;
    } finally {
      if (progress) process.stderr.write("\r\x1b[2K");
      await client.close();
    }
    doc.ok = reports.every((r) => r.state === "reached");
    doc.guests = reports;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else if (reports) {
    const s = makeStyler(colorsEnabled(process.stdout));
    const rows = reports.map((r) => [
      r.id,
      r.hypervisor,
      r.expect,
      r.state === "reached" ? s("green", "reached") : s("red", r.state),
      r.timeToReadyMs === null ? "-" : formatDuration(r.timeToReadyMs),
      r.reason,
    ]);
    const head = ["GUEST", "HV", "EXPECT", "TARGET", "READY IN", "DETAIL"].map((h) => s("bold", h));
    process.stdout.write(`${renderTable(head, rows).join("\n")}\n`);
  }
  if (!opts.json)
    note(
      `cluster "${spec.name}" runs in ${runDir.root} (host pid ${state.hostPid}); ` +
        "'vmrng status' to look, 'vmrng down' to stop",
    );
  const bad = reports?.filter((r) => r.state !== "reached") ?? [];
  if (bad.length) {
    const secs = opts.timeoutMs / 1000;
    const lines = bad.map((r) =>
      r.state === "missed"
        ? `${r.id} missed its boot target (expect ${r.expect}) within ${secs} s: ${r.reason}`
        : `${r.id} failed its boot target (expect ${r.expect}): ${r.reason}`,
    );
    throw new CliError(
      `${bad.length} of ${reports!.length} guests did not reach their boot target:\n  ${lines.join("\n  ")}`,
      ExitCode.BOOT_TARGET,
    );
  }
}
