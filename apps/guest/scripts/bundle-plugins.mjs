/**
 * esbuild plugins, options and the loader install step of the guest bundle (scripts/bundle.mjs),
 * shared with the start-up floor the devices bench measures (scripts/floor-bundle.mjs), so the
 * floor loads ws and msgpackr, and starts, exactly as a guest does.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { precompiledChecksModule } from "@vmrng/wire";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The guest takes two small helpers from @vmrng/cluster (exitWithParent, the panic exit code).
 * Its other modules (the cluster-file loader: yaml, a TypeBox schema compiled at import) have no
 * side effect the guest needs, so esbuild may drop them when nothing uses their exports.
 */
const SIDE_EFFECT_FREE = /[\\/](packages[\\/]cluster|node_modules[\\/]yaml)[\\/]/;
export const dropUnusedModules = {
  name: "side-effect-free-packages",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === "resolved" || args.kind === "entry-point") return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: "resolved",
      });
      // Unresolvable optional requires (ws's bufferutil, in try/catch) stay esbuild's business.
      if (r.errors.length > 0) return undefined;
      return SIDE_EFFECT_FREE.test(r.path) ? { ...r, sideEffects: false } : r;
    });
  },
};

/**
 * Optional native addons, each required inside try/catch with a JavaScript fallback:
 * - msgpackr's string extractor (msgpackr-extract) only pays off on long strings; finding and
 *   loading it (detect-libc, prebuild lookup, dlopen) costs a guest more at start than it ever
 *   saves. msgpackr falls back to its JavaScript decoder, byte for byte the same result.
 * - ws's bufferutil (frame masking) and utf-8-validate are not installed here: ws asked for them
 *   at every guest start anyway, a failed search of every node_modules up the tree (~0.7 ms).
 *   ws then uses its JavaScript masking and Node's buffer.isUtf8, as it did.
 * In the bundle each one is a module that throws, exactly what a missing package does.
 */
const OPTIONAL_NATIVE = /^(msgpackr-extract|bufferutil|utf-8-validate)$/;
export const noNativeAddons = {
  name: "no-native-addons",
  setup(b) {
    b.onResolve({ filter: OPTIONAL_NATIVE }, (args) => ({ path: args.path, namespace: "stub" }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the guest bundle`)});`,
      loader: "js",
    }));
  },
};

/**
 * ws requires http, https, tls and zlib at load time, for its own client (the guest upgrades with
 * the wire's, @vmrng/wire/upgrade), wss:// URLs and permessage-deflate; a guest speaks plain ws://
 * to its hypervisor with compression off, and loading those builtins is two milliseconds of every
 * guest's start. Inside ws they become proxies that load the real module
 * on first use, so a wss:// URL or compression would still work, only not be paid for upfront.
 */
const LAZY_BUILTINS = /^(node:)?(https|tls|zlib|http)$/;
export const lazyBuiltinsInWs = {
  name: "lazy-builtins-in-ws",
  setup(b) {
    b.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      /[\\/]node_modules[\\/]ws[\\/]/.test(args.importer)
        ? { path: args.path.replace(/^node:/, ""), namespace: "lazy-builtin" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      loader: "js",
      contents: `let m;
const load = () => (m ??= require("node:${args.path}"));
module.exports = new Proxy({}, {
  get: (_t, k) => load()[k],
  has: (_t, k) => k in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_t, k) => {
    const d = Reflect.getOwnPropertyDescriptor(load(), k);
    return d && { ...d, configurable: true };
  },
});`,
    }));
  },
};

/**
 * The wire compiles one validator per message type on first use (TypeBox's TypeCompiler:
 * generate source, then new Function): a booting guest paid that for hello, welcome,
 * boot.params, log.line and event, ~3 ms, on code the V8 code cache cannot hold. Here the same
 * check functions are generated once, from the same catalogue, and become part of the bundle.
 */
const PRECOMPILED = /[\\/]packages[\\/]wire[\\/]dist[\\/]codec[\\/]precompiled-checks\.js$/;
export const precompiledValidators = {
  name: "precompiled-wire-validators",
  setup(b) {
    b.onLoad({ filter: PRECOMPILED }, () => ({
      contents: precompiledChecksModule(),
      loader: "js",
    }));
  },
};

/**
 * ws/lib/buffer-util.js takes websocketMask/websocketUnmask from node:http when that module has
 * them, at load time, which would load node:http after all. Node's has neither (asserted here,
 * with the node that builds the bundle and will run it), so the bundle says so without asking.
 */
const WS_HTTP_MASK = "const { websocketMask, websocketUnmask } = require('http');";
export const wsMaskWithoutHttp = {
  name: "ws-mask-without-http",
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]ws[\\/]lib[\\/]buffer-util\.js$/ }, (args) => {
      const http = createRequire(import.meta.url)("node:http");
      if (http.websocketMask !== undefined || http.websocketUnmask !== undefined) return undefined;
      const code = readFileSync(args.path, "utf8");
      if (!code.includes(WS_HTTP_MASK))
        throw new Error(`ws changed: ${args.path} lost ${WS_HTTP_MASK}`);
      return {
        contents: code.replace(
          WS_HTTP_MASK,
          "const websocketMask = undefined, websocketUnmask = undefined;",
        ),
        loader: "js",
      };
    });
  },
};

/**
 * The plugins that decide how ws and msgpackr load in a guest process (which optional addons
 * and builtins they pull in): the guest bundle and the start-up floor both use exactly these.
 */
export const libraryLoading = [noNativeAddons, lazyBuiltinsInWs, wsMaskWithoutHttp];

export const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // Whitespace and syntax only: identifiers keep their names, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  // Non-ASCII characters are escaped (esbuild's default, stated here because the loader reads
  // the bundle as latin1, which is exact only for ASCII).
  charset: "ascii",
};

/**
 * Installs the guest's loader (scripts/guest-start.cjs) in `dir` for the bundle `dir`/
 * guest.bundle.cjs: the loader names its code cache after the bundle's SHA-256, computed here
 * once rather than at every start, and caches of earlier bundles (which can never match again)
 * are removed. Checks the bundle is pure ASCII (the loader reads it as latin1).
 */
export function installLoader(dir) {
  const bundle = join(dir, "guest.bundle.cjs");
  const code = readFileSync(bundle);
  if (code.some((byte) => byte > 0x7f)) throw new Error(`${bundle} is not pure ASCII`);
  const sha256 = createHash("sha256").update(code).digest("hex");
  const loader = readFileSync(join(root, "scripts", "guest-start.cjs"), "utf8");
  if (!loader.includes("__BUNDLE_SHA256__")) throw new Error("guest-start.cjs lost its hash slot");
  writeFileSync(join(dir, "guest-start.cjs"), loader.replace("__BUNDLE_SHA256__", sha256));
  for (const f of readdirSync(dir)) {
    if (/^guest\.bundle\.[0-9a-f]+\.v8cache/.test(f)) rmSync(join(dir, f), { force: true });
  }
  return join(dir, "guest-start.cjs");
}
