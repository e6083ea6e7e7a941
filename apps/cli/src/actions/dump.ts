import { ControlClient, type RngSource } from "@vmrng/cluster/control";
import { RNG_MAX_READ } from "@vmrng/wire";
import type { RunDirOptions } from "../commands/common.js";
import { pump } from "../dump/pump.js";
import { CliError, ExitCode, exitCodeOf } from "../exit-codes.js";
import { errnoReason } from "../output/errno-text.js";
import { ProgressBar } from "../output/progress.js";
import { runDirFrom } from "./run-dir.js";

export interface DumpOptions extends RunDirOptions {
  bytes: number;
  source: RngSource;
}

/** Reads in flight: four 1 MiB reads hide the round trip through host and hypervisor. */
const DEPTH = 4;

export async function runDump(guest: string, opts: DumpOptions): Promise<void> {
  if (process.stdout.isTTY)
    throw new CliError(
      "dump writes raw bytes: redirect stdout to a file or a pipe (or use 'vmrng getrandom' for hex)",
      ExitCode.USAGE,
    );
  const client = await ControlClient.connect(runDirFrom(opts));
  const bar = new ProgressBar(process.stderr, opts.bytes, `${guest} /dev/${opts.source}`);
  try {
    const result = await pump(
      opts.bytes,
      (len) => client.read(guest, opts.source, len),
      process.stdout,
      {
        chunk: RNG_MAX_READ,
        depth: DEPTH,
        onProgress: (n) => bar.update(n),
      },
    );
    bar.update(result.written, true);
  } catch (err) {
    const e = err as { code?: string; errno?: string; message: string };
    if (e.code === "E_GUEST_ERRNO")
      throw new CliError(
        `${e.message} (${errnoReason(e.errno as "EAGAIN", "read")})`,
        exitCodeOf(err),
      );
    throw err;
  } finally {
    bar.end();
    await client.close();
  }
}
