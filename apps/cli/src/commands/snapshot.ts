import { type Command, Option } from "commander";
import type { CloneOptions, RestoreOptions, SnapshotOptions } from "../actions/snapshot.js";
import { cloneCountArg, nodeIdArg } from "./args.js";
import { examples, withRunDir } from "./common.js";

export function registerSnapshot(program: Command): void {
  const snap = program
    .command("snapshot")
    .summary("save a guest's complete state to a snapshot file")
    .description(
      "save a guest's complete state (CRNG, pools, drivers, virtual clock, vmgenid id, generation counter) into the run directory's snapshots/ (atomic, mode 0600); -o also writes it to FILE",
    )
    .argument("<guest>", "guest id")
    .option("-o, --output <file>", "also write the snapshot to FILE (atomic, mode 0600)")
    .addOption(new Option("--name <id>", "snapshot id in the run directory").argParser(nodeIdArg));
  withRunDir(snap)
    .addHelpText(
      "after",
      examples("vmrng snapshot web -o web.snap", "vmrng snapshot web --name before-upgrade"),
    )
    .action(async (guest: string, opts: SnapshotOptions) => {
      const { runSnapshot } = await import("../actions/snapshot.js");
      await runSnapshot(guest, opts);
    });

  const restore = program
    .command("restore")
    .summary("resume a VM from a snapshot file")
    .description(
      "resume a VM from a snapshot file: a running VM with that id is replaced, any other id starts as a new VM; the vmgenid changes and the generation counter is bumped before it runs",
    )
    .argument("<file>", "snapshot file (from vmrng snapshot -o)")
    .addOption(
      new Option("--as <id>", "VM id to restore as (default: the snapshot's VM)").argParser(
        nodeIdArg,
      ),
    );
  withRunDir(restore)
    .addHelpText(
      "after",
      examples("vmrng restore web.snap", "vmrng restore web.snap --as web-restored"),
    )
    .action(async (file: string, opts: RestoreOptions) => {
      const { runRestore } = await import("../actions/snapshot.js");
      await runRestore(file, opts);
    });

  const clone = program
    .command("clone")
    .summary("start copies of a running guest from one snapshot")
    .description(
      "snapshot a running guest and start N clones from it (ids GUEST-c1, GUEST-c2, …): each gets a new vmgenid (mode notify: ACPI notify after vmgenid.notifyDelayMs) and a bumped generation counter (mode counter); in mode off a clone repeats its parent's output until its next reseed",
    )
    .argument("<guest>", "guest id")
    .addOption(
      new Option("-n, --count <n>", "how many clones").argParser(cloneCountArg).default(1),
    );
  withRunDir(clone)
    .addHelpText("after", examples("vmrng clone web", "vmrng clone web --count 10"))
    .action(async (guest: string, opts: CloneOptions) => {
      const { runClone } = await import("../actions/snapshot.js");
      await runClone(guest, opts);
    });
}
