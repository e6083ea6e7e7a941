import {
  ControlClient,
  GRND_INSECURE,
  GRND_NONBLOCK,
  GRND_RANDOM,
  GuestErrnoError,
} from "@vmrng/cluster/control";
import { RNG_MAX_READ } from "@vmrng/wire";
import type { RunDirOptions } from "../commands/common.js";
import { CliError, exitCodeOf } from "../exit-codes.js";
import { errnoReason } from "../output/errno-text.js";
import { runDirFrom } from "./run-dir.js";

export interface GetrandomOptions extends RunDirOptions {
  bytes: number;
  nonblock?: boolean;
  insecure?: boolean;
  random?: boolean;
  flags?: number;
  hex?: boolean;
  raw?: boolean;
  timeout?: number;
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

export async function runGetrandom(guest: string, opts: GetrandomOptions): Promise<void> {
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
}
