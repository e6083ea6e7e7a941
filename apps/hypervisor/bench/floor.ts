import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The guest's floor builder (apps/guest/scripts/floor-bundle.mjs; esbuild is the guest's). */
const FLOOR_BUNDLE = fileURLToPath(
  new URL("../../guest/scripts/floor-bundle.mjs", import.meta.url),
);

export interface Floors {
  /** The guest's loader and dialler, ws + msgpackr + @noble/hashes, the pre-READY conversation. */
  bare: string;
  /** The same, loading all of @vmrng/wire besides (catalogue, codec, Link) without using it. */
  withWire: string;
  /** Removes the floors' directory (bundles and code caches). */
  remove(): void;
}

/**
 * Builds the start-up floors into a fresh temporary directory, with the node that runs this
 * bench (it also runs the guests), and returns the scripts to spawn.
 */
export function buildFloors(): Floors {
  const dir = mkdtempSync(join(tmpdir(), "vmrng-floor-"));
  const build = (sub: string, ...flags: string[]): string =>
    execFileSync(process.execPath, [FLOOR_BUNDLE, join(dir, sub), ...flags], {
      encoding: "utf8",
    }).trim();
  return {
    bare: build("floor"),
    withWire: build("floor-wire", "--with-wire"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
