/**
 * Bundles the built guest into two CommonJS files and installs their entry point
 * dist/guest-start.cjs (a V8 code-cache loader, see scripts/guest-start.cjs):
 * - dist/guest-dial.cjs, from dist/dial.js: reads the guest's identity and sends its upgrade
 *   request to the hypervisor (node:net and node:crypto only, a few KiB);
 * - dist/guest.bundle.cjs, from dist/main.js and everything it imports: the rest of the guest,
 *   loaded while the hypervisor answers that request.
 * Why: a guest is a process, and started as ~100 ES modules it spends ~300 ms of CPU resolving,
 * reading and compiling them before it can even connect; pre-linked files without the code it
 * never runs start in a fraction of that.
 *
 * dist/guest.bundle.json lists every input file, so the hypervisor can tell a bundle that is
 * older than its sources (e.g. a package rebuilt by hand with tsc) and run dist/main.js then.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";
import {
  common,
  dropUnusedModules,
  installLoader,
  libraryLoading,
  precompiledValidators,
  root,
} from "./bundle-plugins.mjs";

const dist = join(root, "dist");
const outfile = join(dist, "guest.bundle.cjs");
const dialOutfile = join(dist, "guest-dial.cjs");

const dialResult = await build({
  ...common,
  entryPoints: [join(dist, "dial.js")],
  outfile: dialOutfile,
});
const dialCode = readFileSync(dialOutfile, "utf8");
// The dialler must stay small: the guest loads it before anything else.
if (
  /typebox|msgpackr|node_modules[\\/]ws/.test(Object.keys(dialResult.metafile.inputs).join("\n"))
) {
  throw new Error(`${dialOutfile} pulled in the wire's heavy modules: ${dialCode.length} bytes`);
}

const result = await build({
  ...common,
  entryPoints: [join(dist, "main.js")],
  outfile,
  plugins: [dropUnusedModules, ...libraryLoading, precompiledValidators],
});

installLoader(dist);

const inputs = [...Object.keys(result.metafile.inputs), ...Object.keys(dialResult.metafile.inputs)]
  .filter((p) => !p.includes(":"))
  .map((p) => relative(dist, join(root, p)))
  .sort()
  .filter((p, i, all) => p !== all[i - 1]);
writeFileSync(
  join(dist, "guest.bundle.json"),
  `${JSON.stringify({ entry: "guest-start.cjs", bundle: "guest.bundle.cjs", parts: ["guest-dial.cjs"], inputs }, null, 2)}\n`,
);
const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
console.log(
  `guest bundle: ${relative(root, outfile)} (${(bytes / 1024).toFixed(0)} KiB from ${inputs.length} files)`,
);
