/**
 * `node scripts/floor-bundle.mjs OUT_DIR [--with-wire]`: builds the devices bench's start-up
 * floor (scripts/floor-entry.mjs) into OUT_DIR laid out as the guest's dist is: the floor as
 * guest.bundle.cjs (with the guest bundle's plugins and options), the guest's own dialler
 * (dist/guest-dial.cjs, so the guest package must be built) and the guest's own loader
 * (guest-start.cjs, code cache included). Prints the script to spawn. The floor thus starts
 * exactly as a guest does; only what the bundle holds differs.
 * --with-wire also loads all of @vmrng/wire (catalogue, codec, Link) without using it: the
 * floor plus what the wire package costs a process to load, for the bench's decomposition.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import {
  common,
  installLoader,
  libraryLoading,
  precompiledValidators,
  root,
} from "./bundle-plugins.mjs";

const [outDir, ...flags] = process.argv.slice(2);
if (!outDir || flags.some((f) => f !== "--with-wire")) {
  console.error("usage: node scripts/floor-bundle.mjs OUT_DIR [--with-wire]");
  process.exit(2);
}
const withWire = flags.includes("--with-wire");

/** ws and msgpackr are the wire's dependencies: the floor takes the very copies a guest loads. */
const wireDir = dirname(createRequire(import.meta.url).resolve("@vmrng/wire"));
const fromWire = {
  name: "libraries-from-wire",
  setup(b) {
    b.onResolve({ filter: /^(ws|msgpackr)$/ }, (args) =>
      args.pluginData === "from-wire"
        ? undefined
        : b.resolve(args.path, { kind: args.kind, resolveDir: wireDir, pluginData: "from-wire" }),
    );
  },
};

const dir = resolve(outDir);
mkdirSync(dir, { recursive: true });
await build({
  ...common,
  metafile: false,
  ...(withWire
    ? {
        stdin: {
          contents: `import * as wire from "@vmrng/wire";
globalThis.vmrngFloorWire = wire;
import "./floor-entry.mjs";`,
          resolveDir: join(root, "scripts"),
          sourcefile: "floor-with-wire.mjs",
        },
      }
    : { entryPoints: [join(root, "scripts", "floor-entry.mjs")] }),
  outfile: join(dir, "guest.bundle.cjs"),
  plugins: [fromWire, ...libraryLoading, ...(withWire ? [precompiledValidators] : [])],
});
copyFileSync(join(root, "dist", "guest-dial.cjs"), join(dir, "guest-dial.cjs"));
console.log(installLoader(dir));
