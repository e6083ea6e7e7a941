import { ControlClient } from "@vmrng/cluster/control";
import type { RunDirOptions } from "../commands/common.js";
import { CliError, exitCodeOf } from "../exit-codes.js";
import { runDirFrom } from "./run-dir.js";

export async function runKexec(guest: string, opts: RunDirOptions): Promise<void> {
  const client = await ControlClient.connect(runDirFrom(opts));
  try {
    const s = await client.kexec(guest);
    process.stdout.write(
      `${s.vm}: ${s.state} in a new kernel${s.pid === undefined ? "" : ` (pid ${s.pid})`}\n`,
    );
  } catch (err) {
    throw new CliError(`kexec ${guest}: ${(err as Error).message}`, exitCodeOf(err));
  } finally {
    await client.close();
  }
}
