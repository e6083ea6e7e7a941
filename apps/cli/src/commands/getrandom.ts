import {
  ControlClient,
  GRND_INSECURE,
  GRND_NONBLOCK,
  GRND_RANDOM,
  GuestErrnoError,
} from "@vmrng/cluster/control";
import { RNG_MAX_READ } from "@vmrng/wire";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseByteSize } from "../byte-size.js";
import { CliError, exitCodeOf } from "../exit-codes.js";
import { errnoReason } from "../output/errno-text.js";
import { examples, type RunDirOptions, runDirFrom, withRunDir } from "./common.js";

interface GetrandomOptions extends RunDirOptions {
  bytes: number;
  nonblock?: boolean;
  insecure?: boolean;
  random?: boolean;
  flags?: number;
  hex?: boolean;
  raw?: boolean;
  timeout?: number;
}

export function byteCountArg(value: string): number {
  try {
    return parseByteSize(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function secondsArg(value: string): number {
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0)
    throw new InvalidArgumentError("expected a number of seconds > 0");
  return s;
}

function flagsArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new InvalidArgumentError("expected a u32, e.g. 1 or 0x5");
  return n;
}

/** The flags word from the options: --flags wins, else the named bits OR-ed together. */
export function getrandomFlags(
  o: Pick<GetrandomOptions, "nonblock" | "insecure" | "random" | "flags">,
): number {
  if (o.flags !== undefined) return o.flags;
  return (
    (o.nonblock ? GRND_NONBLOCK : 0) |
    (o.random ? GRND_RANDOM : 0) |
    (o.insecure ? GRND_INSECURE : 0)
  );
}

export function registerGetrandom(program: Command): void {
  const cmd = program
    .command("getrandom")
    .summary("call getrandom(2) inside a guest")
    .description(
      "call getrandom(2) inside a guest and print what it returned: the guest's emulated kernel answers, so before crng init a GRND_NONBLOCK call fails with EAGAIN and a plain one blocks",
    )
    .argument("<guest>", "guest id")
    .addOption(
      new Option("-n, --bytes <n>", "buffer length (K, M, G suffixes are 1024-based)")
        .argParser(byteCountArg)
        .default(32),
    )
    .option("--nonblock", "GRND_NONBLOCK (1): fail with EAGAIN instead of blocking")
    .option("--random", "GRND_RANDOM (2): the same as no flag since Linux 5.6")
    .option("--insecure", "GRND_INSECURE (4): never block, even before crng init")
    .addOption(
      new Option(
        "--flags <u32>",
        "raw flags word, unknown bits included (the guest answers EINVAL)",
      )
        .argParser(flagsArg)
        .conflicts(["nonblock", "random", "insecure"]),
    )
    .addOption(new Option("--hex", "print hex (default on a terminal)").conflicts("raw"))
    .option("--raw", "write the raw bytes (default when stdout is not a terminal)")
    .addOption(
      new Option("--timeout <s>", "give up on a blocking call after S seconds").argParser(
        secondsArg,
      ),
    );
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng getrandom seeded",
        "vmrng getrandom starved --nonblock        # exit 5: EAGAIN until crng init",
        "vmrng getrandom virtio -n 64 --raw | xxd",
        "vmrng getrandom coco --flags 6           # GRND_RANDOM|GRND_INSECURE: EINVAL",
      ),
    )
    .action(async (guest: string, opts: GetrandomOptions) => {
      const flags = getrandomFlags(opts);
      const hex = opts.hex ?? (opts.raw ? false : process.stdout.isTTY === true);
      const client = await ControlClient.connect(runDirFrom(opts));
      try {
        const timeoutMs = opts.timeout === undefined ? undefined : opts.timeout * 1000;
        const chunks: Uint8Array[] = [];
        let got = 0;
        // One call up to the wire's 1 MiB; beyond that, loop as a userspace caller would.
        do {
          const want = Math.min(RNG_MAX_READ, opts.bytes - got);
          const data = await client.getrandom(
            guest,
            want,
            flags,
            timeoutMs === undefined ? {} : { timeoutMs },
          );
          chunks.push(data);
          got += data.length;
          if (data.length < want && opts.bytes <= RNG_MAX_READ) break;
        } while (got < opts.bytes);
        const out = Buffer.concat(chunks);
        process.stdout.write(hex ? `${out.toString("hex")}\n` : out);
        if (out.length < opts.bytes)
          process.stderr.write(
            `vmrng: short read: getrandom returned ${out.length} of ${opts.bytes} bytes\n`,
          );
      } catch (err) {
        if (err instanceof GuestErrnoError || (err as { code?: string }).code === "E_GUEST_ERRNO") {
          const e = err as GuestErrnoError;
          throw new CliError(`${e.message} (${errnoReason(e.errno, "getrandom")})`, exitCodeOf(e));
        }
        throw err;
      } finally {
        await client.close();
      }
    });
}
