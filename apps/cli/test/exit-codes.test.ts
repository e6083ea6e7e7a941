import { ClusterFileError } from "@vmrng/cluster";
import { ClusterNotRunningError, GuestErrnoError } from "@vmrng/cluster/control";
import { WireError } from "@vmrng/wire";
import { describe, expect, it } from "vitest";
import { ByteSizeError } from "../src/byte-size.js";
import { SetOverrideError } from "../src/cluster-input/set-override.js";
import { ShortSourceError } from "../src/dump/pump.js";
import { CliError, ExitCode, exitCodeOf } from "../src/exit-codes.js";

describe("exitCodeOf", () => {
  it("maps every typed error to its documented code", () => {
    const cases: [unknown, number][] = [
      [new ClusterFileError("lab.yaml", "/hypervisors/0/id", "expected a string", 3), 2],
      [new SetOverrideError("a", "expected PATH=VALUE"), 2],
      [new ByteSizeError("1T", "no"), 2],
      [new ClusterNotRunningError("/r", "no-state"), 3],
      [new ClusterNotRunningError("/r", "host-dead", 4), 3],
      [new ClusterNotRunningError("/r", "unreachable", 4, "ECONNREFUSED"), 3],
      [new CliError("missed", ExitCode.BOOT_TARGET), 4],
      [new GuestErrnoError("starved", "getrandom(32, GRND_NONBLOCK)", "EAGAIN"), 5],
      [new GuestErrnoError("coco", "getrandom(32, GRND_RANDOM|GRND_INSECURE)", "EINVAL"), 6],
      [new GuestErrnoError("g1", "read(/dev/hwrng [O_RDONLY], 64)", "ENODEV"), 6],
      [new CliError("running", ExitCode.ALREADY_RUNNING), 7],
      [new WireError("E_REMOTE", "no such vm", { remoteCode: "E_NOT_FOUND" }), 8],
      [new WireError("E_REMOTE", "boom", { remoteCode: "E_INTERNAL" }), 1],
      [new WireError("E_TIMEOUT", "late"), 1],
      [new ShortSourceError(10, 20), 1],
      [new Error("bug"), 1],
      ["a string", 1],
      [undefined, 1],
      [new CliError("Ctrl-C", ExitCode.INTERRUPTED), 130],
    ];
    for (const [err, code] of cases) expect(exitCodeOf(err), String(err)).toBe(code);
  });

  it("keeps every code distinct", () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });
});
