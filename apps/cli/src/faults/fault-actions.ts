import { ControlClient } from "@vmrng/cluster/control";
import {
  describeKinds,
  describeParams,
  FaultError,
  kindDef,
  parseDuration,
  parseFaultSpec,
} from "@vmrng/faults";
import { runDirFrom } from "../actions/run-dir.js";
import type { RunDirOptions } from "../commands/common.js";
import { CliError, ExitCode, exitCodeOf } from "../exit-codes.js";
import { formatDuration, renderTable } from "../output/table.js";

function usage(err: unknown): never {
  throw new CliError((err as Error).message, ExitCode.USAGE);
}

export async function runFaultAdd(
  target: string,
  specText: string,
  opts: RunDirOptions & { for?: string; json?: boolean },
): Promise<void> {
  // Parsed here first, so a typo is reported before anything connects; the host validates again.
  let spec: ReturnType<typeof parseFaultSpec>;
  let forMs: number | undefined;
  try {
    spec = parseFaultSpec(specText);
    if (opts.for !== undefined) forMs = parseDuration(opts.for);
  } catch (err) {
    if (err instanceof FaultError) usage(err);
    throw err;
  }
  const client = await ControlClient.connect(runDirFrom(opts));
  try {
    const id = await client.faultAdd({ kind: spec.kind, target, params: spec.params }, forMs);
    if (opts.json) process.stdout.write(`${JSON.stringify({ fault: id })}\n`);
    else
      process.stdout.write(
        `fault ${id}: ${spec.kind} on ${target}${forMs === undefined ? " until cleared" : ` for ${formatDuration(forMs)}`}\n`,
      );
  } catch (err) {
    const code = (err as { remoteCode?: string }).remoteCode;
    throw new CliError(
      `fault add: ${(err as Error).message}`,
      code === "E_INVALID" ? ExitCode.USAGE : exitCodeOf(err),
    );
  } finally {
    await client.close();
  }
}

export async function runFaultList(opts: RunDirOptions & { json?: boolean }): Promise<void> {
  const client = await ControlClient.connect(runDirFrom(opts));
  try {
    const faults = await client.faultList();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(faults, null, 2)}\n`);
      return;
    }
    if (faults.length === 0) {
      process.stdout.write("no faults armed\n");
      return;
    }
    const rows = faults.map((f) => [
      String(f.fault),
      f.spec.kind,
      f.spec.target,
      (f.nodes ?? []).join(","),
      Object.entries(f.spec.params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(","),
      f.ageMs === undefined ? "" : formatDuration(f.ageMs),
      f.remainingMs === undefined ? "until cleared" : formatDuration(f.remainingMs),
    ]);
    for (const line of renderTable(
      ["ID", "KIND", "TARGET", "NODES", "PARAMS", "AGE", "LEFT"],
      rows,
    ))
      process.stdout.write(`${line}\n`);
  } finally {
    await client.close();
  }
}

export async function runFaultClear(
  target: string | undefined,
  opts: RunDirOptions & { id?: number },
): Promise<void> {
  const client = await ControlClient.connect(runDirFrom(opts));
  try {
    const n = await client.faultClear({
      ...(opts.id === undefined ? {} : { fault: opts.id }),
      ...(target === undefined ? {} : { target }),
    });
    process.stdout.write(`cleared ${n} fault${n === 1 ? "" : "s"}\n`);
  } catch (err) {
    throw new CliError(`fault clear: ${(err as Error).message}`, exitCodeOf(err));
  } finally {
    await client.close();
  }
}

export function runFaultKinds(opts: { json?: boolean }): void {
  const kinds = describeKinds().map((k) => ({
    ...k,
    owner: kindDef(k.kind).owner,
    params: describeParams(k.kind),
  }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(kinds, null, 2)}\n`);
    return;
  }
  const rows = kinds.map((k) => [
    k.kind,
    k.layer,
    k.params
      .map(
        (p) =>
          `${p.name}${p.required ? "" : "?"}${p.default === undefined ? "" : `=${String(p.default)}`}`,
      )
      .join(" "),
    k.description,
  ]);
  for (const line of renderTable(["KIND", "LAYER", "PARAMS", "WHAT"], rows))
    process.stdout.write(`${line}\n`);
}
