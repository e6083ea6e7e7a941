import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunState } from "@vmrng/cluster";
import { ControlClient, readRunState } from "@vmrng/cluster/control";
import { HWRNG_READ_BYTES, prepareGuestImage, QemuGuest, type RngBackend } from "@vmrng/tools/qemu";
import type { EgdStatus } from "@vmrng/wire";
import { note, type RunDirOptions } from "../commands/common.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { isRunning, sleep } from "../process/pids.js";
import { QEMU_DEMO_CLUSTER_YAML } from "../qemu/demo-cluster.js";
import { egdSummary } from "../qemu/egd-summary.js";
import { runDirFrom } from "./run-dir.js";

export interface QemuDemoOptions extends RunDirOptions {
  bytes: number;
  accel: "tcg" | "kvm";
  unix?: boolean;
  batch?: boolean;
}

function liveState(opts: RunDirOptions): RunState | undefined {
  try {
    const s = readRunState(runDirFrom(opts));
    return s && isRunning(s.hostPid) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the demo cluster detached in the run directory (the same path as `vmrng up -d`). */
async function startDemoCluster(opts: RunDirOptions): Promise<RunState> {
  const dir = mkdtempSync(join(tmpdir(), "vmrng-qemu-demo-"));
  try {
    const file = join(dir, "qemu-demo.yaml");
    writeFileSync(file, QEMU_DEMO_CLUSTER_YAML);
    const { runUp } = await import("./up.js");
    await runUp({
      file,
      set: [],
      detach: true,
      timeout: 60,
      ...(opts.runDir === undefined ? {} : { runDir: opts.runDir }),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const state = liveState(opts);
  if (!state) throw new CliError("the demo cluster did not come up", ExitCode.FAILURE);
  return state;
}

/**
 * `vmrng qemu-demo`: a real QEMU guest whose virtio-rng is backed by rng-egd on the cluster
 * host's EGD server, its serial console on this terminal. With a terminal the guest ends in a
 * shell (exit or Ctrl-C ends the demo); otherwise (or with --batch) it powers off after the read.
 */
export async function runQemuDemo(opts: QemuDemoOptions): Promise<void> {
  if (opts.bytes <= 0 || opts.bytes % HWRNG_READ_BYTES !== 0)
    throw new CliError(
      `--bytes must be a positive multiple of ${HWRNG_READ_BYTES} (hw_random reads 64 bytes at a time), got ${opts.bytes}`,
      ExitCode.USAGE,
    );
  const runDir = runDirFrom(opts);
  let state = liveState(opts);
  let started = false;
  if (state && state.egdPort === undefined)
    throw new CliError(
      `the cluster "${state.cluster}" in ${runDir.root} runs without its EGD server; start one with host.egd.enabled ('vmrng up --set host.egd.enabled=true …') or pick another --run-dir`,
      ExitCode.FAILURE,
    );
  if (!state) {
    state = await startDemoCluster(opts);
    started = true;
  }
  let rng: RngBackend = { kind: "egd-tcp", port: state.egdPort! };
  if (opts.unix) {
    if (!state.egdSocket)
      throw new CliError(
        `the cluster in ${runDir.root} has no EGD Unix socket (host.egd.socketPath)`,
        ExitCode.FAILURE,
      );
    rng = { kind: "egd-unix", path: state.egdSocket };
  }
  const interactive = opts.batch !== true && process.stdin.isTTY === true;
  if (opts.batch !== true && !interactive) note("stdin is not a terminal: running as --batch");

  const client = await ControlClient.connect(runDir);
  const egdNow = async (): Promise<EgdStatus | undefined> =>
    (await client.status(["host"]).catch(() => []))[0]?.egd;
  // While QEMU owns a terminal it is in raw mode: lines need their own carriage return.
  const eol = process.stdout.isTTY ? "\r\n" : "\n";
  const say = (line: string): void => {
    process.stdout.write(`${eol === "\r\n" ? "\r" : ""}vmrng: ${line}${eol}`);
  };
  let guest: QemuGuest | undefined;
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    guest?.terminate(); // QEMU got the terminal's Ctrl-C too; this covers a signal sent to us alone
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let image: ReturnType<typeof prepareGuestImage> | undefined;
  try {
    image = prepareGuestImage(
      {
        readBytes: opts.bytes,
        rounds: 1,
        handshake: false,
        after: interactive ? "shell" : "poweroff",
      },
      { note },
    );
    const where = rng.kind === "egd-unix" ? rng.path : `127.0.0.1:${state.egdPort}`;
    note(
      `booting ${image.kernel.package} (${image.kernel.release}) under ${opts.accel}: virtio-rng-pci ← rng-egd ← ${where}` +
        (interactive ? "; Ctrl-C ends it" : ""),
    );
    guest = new QemuGuest({
      kernel: image.kernel.vmlinuz,
      initrd: image.initrd,
      rng,
      accel: opts.accel,
      stdin: interactive ? "inherit" : "pipe",
      echo: (chunk) => process.stdout.write(chunk),
    });
    const g = guest;
    void g
      .nextEvent("read", 3_600_000)
      .then(async () => {
        const egd = await egdNow();
        if (egd) say(egdSummary(egd));
      })
      .catch(() => {});
    const exit = await g.exited;
    // The host sees QEMU's socket close a moment later: show the final count once it has.
    let egd = await egdNow();
    for (let i = 0; i < 20 && egd && egd.clients.length > 0; i++) {
      await sleep(100);
      egd = await egdNow();
    }
    if (egd) say(`${egdSummary(egd)} (final)`);
    if (interrupted) {
      process.exitCode = ExitCode.INTERRUPTED;
      return;
    }
    const read = g.events.find((e) => e.event === "read");
    if (exit.code !== 0 || read === undefined)
      throw new CliError(
        `QEMU exited with code ${exit.code}${exit.signal ? ` (${exit.signal})` : ""} before the guest finished; last console lines:\n${g.tail(15)}`,
        ExitCode.FAILURE,
      );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    guest?.kill();
    image?.dispose();
    await client.close();
    if (started) {
      const { runDown } = await import("./down.js");
      await runDown({ timeout: 10, ...(opts.runDir === undefined ? {} : { runDir: opts.runDir }) });
    }
  }
}
