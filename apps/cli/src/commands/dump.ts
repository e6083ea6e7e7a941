import { ControlClient, type RngSource } from "@vmrng/cluster/control";
import { RNG_MAX_READ } from "@vmrng/wire";
import { type Command, Option } from "commander";
import { pump } from "../dump/pump.js";
import { CliError, ExitCode, exitCodeOf } from "../exit-codes.js";
import { errnoReason } from "../output/errno-text.js";
import { ProgressBar } from "../output/progress.js";
import { examples, type RunDirOptions, runDirFrom, withRunDir } from "./common.js";
import { byteCountArg } from "./getrandom.js";

interface DumpOptions extends RunDirOptions {
  bytes: number;
  source: RngSource;
}

/** Reads in flight: four 1 MiB reads hide the round trip through host and hypervisor. */
const DEPTH = 4;

export function registerDump(program: Command): void {
  const cmd = program
    .command("dump")
    .summary("stream N random bytes read inside a guest to stdout")
    .description(
      "stream exactly N random bytes read inside a guest to stdout, for rngtest, dieharder or ent; the read follows stdout's pace (backpressure) and a closed pipe ends it quietly",
    )
    .argument("<guest>", "guest id")
    .addOption(
      new Option("-n, --bytes <n>", "how many bytes (K, M, G suffixes are 1024-based)")
        .argParser(byteCountArg)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--source <dev>", "the character device read in the guest")
        .choices(["random", "urandom", "hwrng"])
        .default("urandom"),
    );
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng dump seeded -n 100M | rngtest",
        "vmrng dump virtio -n 1M --source hwrng > hwrng.bin",
        "vmrng dump seeded -n 1G | head -c 16 | xxd   # ends quietly when head exits",
      ),
    )
    .action(async (guest: string, opts: DumpOptions) => {
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
    });
}
