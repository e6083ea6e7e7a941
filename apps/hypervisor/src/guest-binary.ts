import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The script the hypervisor starts a guest with, and why that one. */
export interface GuestBinary {
  script: string;
  kind: "bundle" | "modules";
  /** Set when a bundle exists but cannot be used (missing part, older than a source). */
  reason?: string;
}

interface BundleManifest {
  entry: string;
  bundle: string;
  /** Further files the entry point loads (guest-dial.cjs), when the bundle has any. */
  parts?: string[];
  /** Files the bundle was built from, relative to the guest's dist directory. */
  inputs: string[];
}

/**
 * Files written within this long of the bundle count as the same build: turbo restores a cached
 * build's outputs in one go, in no particular order, so an input may come out a few ms after the
 * bundle. A hand rebuild of a package after bundling lands well after it.
 */
const SAME_BUILD_MS = 2000;

/**
 * Picks the guest entry point in `guestDist` (apps/guest/dist): the one-file bundle
 * (guest-start.cjs, built by apps/guest/scripts/bundle.mjs) when it is at least as new as every
 * file it was built from, else the ES modules tsc emitted (main.js). A bundle older than one of
 * its inputs (a package rebuilt by hand with tsc) would run yesterday's code, so it is skipped.
 */
export function findGuestBinary(guestDist: string): GuestBinary {
  const modules = (reason?: string): GuestBinary => ({
    script: join(guestDist, "main.js"),
    kind: "modules",
    ...(reason ? { reason } : {}),
  });
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(join(guestDist, "guest.bundle.json"), "utf8"));
  } catch {
    return modules();
  }
  try {
    const builtAt = Math.min(
      ...[manifest.bundle, manifest.entry, ...(manifest.parts ?? [])].map(
        (f) => statSync(join(guestDist, f)).mtimeMs,
      ),
    );
    for (const input of manifest.inputs) {
      if (statSync(join(guestDist, input)).mtimeMs > builtAt + SAME_BUILD_MS) {
        return modules(`the guest bundle is older than ${input}`);
      }
    }
  } catch (err) {
    return modules(`the guest bundle is incomplete: ${(err as Error).message}`);
  }
  return { script: join(guestDist, manifest.entry), kind: "bundle" };
}
