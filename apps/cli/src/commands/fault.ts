import { type Command, Option } from "commander";
import type { RunDirOptions } from "./common.js";
import { examples, withRunDir } from "./common.js";

/** `vmrng fault add|list|clear|kinds`: break things on purpose in a running cluster. */
export function registerFault(program: Command): void {
  const fault = program
    .command("fault")
    .summary("inject, list and clear faults in the running cluster")
    .description(
      "Inject faults into the running cluster: link toxics (latency, bandwidth, timeout, reset_peer, slicer, drop, corrupt, ... per direction), partitions, device faults (virtio-rng stall/short/zeros/repeat, MSR, vmgenid, a malicious hypervisor), boot seeds, RDRAND, clock skew and process faults (kill, pause, restart). The host validates each fault and the process that owns the link or device applies it.",
    );

  withRunDir(
    fault
      .command("add")
      .summary("arm a fault")
      .description(
        "Arm a fault on TARGET: a node id (vm-1, hv1), role:guest, role:hypervisor, all, random, random:guest or random:hypervisor (drawn from the host's seeded stream). SPEC is KIND or KIND:key=value,... or a JSON/YAML flow object; `vmrng fault kinds` lists every kind and its parameters.",
      )
      .argument("<target>", "node id, role:guest, role:hypervisor, all, random[:role]")
      .argument("<spec>", "KIND[:key=value,...] or {kind: ..., key: value}")
      .addOption(
        new Option(
          "--for <duration>",
          "disarm it after this long (250ms, 5s, 2m); default: until cleared",
        ),
      )
      .option("--json", "print the fault number as JSON"),
  )
    .addHelpText(
      "after",
      examples(
        "vmrng fault add hv1 latency:latencyMs=200,jitterMs=50,direction=down --for 10s",
        "vmrng fault add vm-1 virtio.zeros",
        "vmrng fault add random:guest rdrand.fail",
        "vmrng fault add hv1 partition:with=host --for 3s",
        "vmrng fault add hv1 kill --for 2s      # down for 2 s, then restarted",
      ),
    )
    .action(
      async (
        target: string,
        spec: string,
        opts: RunDirOptions & { for?: string; json?: boolean },
      ) => {
        const { runFaultAdd } = await import("../faults/fault-actions.js");
        await runFaultAdd(target, spec, opts);
      },
    );

  withRunDir(
    fault
      .command("list")
      .alias("ls")
      .summary("list the armed faults")
      .option("--json", "machine-readable output"),
  ).action(async (opts: RunDirOptions & { json?: boolean }) => {
    const { runFaultList } = await import("../faults/fault-actions.js");
    await runFaultList(opts);
  });

  withRunDir(
    fault
      .command("clear")
      .summary("disarm faults")
      .description(
        "Disarm every fault on TARGET (its target or one of the nodes it resolved to), or fault number N with --id, or all faults.",
      )
      .argument("[target]", "node id or target as given to `fault add`")
      .option("--id <n>", "the fault number `fault add` printed", (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`--id must be a fault number, got ${v}`);
        return n;
      }),
  )
    .addHelpText(
      "after",
      examples("vmrng fault clear", "vmrng fault clear hv1", "vmrng fault clear --id 3"),
    )
    .action(async (target: string | undefined, opts: RunDirOptions & { id?: number }) => {
      const { runFaultClear } = await import("../faults/fault-actions.js");
      await runFaultClear(target, opts);
    });

  fault
    .command("kinds")
    .summary("list every fault kind with its parameters")
    .option("--json", "machine-readable output")
    .action(async (opts: { json?: boolean }) => {
      const { runFaultKinds } = await import("../faults/fault-actions.js");
      runFaultKinds(opts);
    });
}
