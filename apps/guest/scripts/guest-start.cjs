#!/usr/bin/env node
"use strict";
/**
 * Entry point of the bundled guest (copied to dist/ by scripts/bundle.mjs; the hypervisor
 * spawns it when the bundle is up to date). It first runs dist/guest-dial.cjs (src/dial.ts),
 * which starts the guest's TCP connection to the hypervisor with the upgrade request queued on
 * it, then reads and compiles dist/guest.bundle.cjs (the rest of the guest, in one file) while
 * the connection completes, and runs it once the request is out: the hypervisor authenticates
 * the guest while the bundle's modules are initialised.
 * The bundle runs through a V8 code cache: a guest spends most of its start in V8 compiling the code
 * of its imports, and every guest runs the same code. The first guest to start without a usable
 * cache writes one (bytecode of every function it ran: connect, handshake, boot) after two
 * seconds or when it exits cleanly, whichever comes first; later guests skip that compilation.
 *
 * The cache is named after the bundle's SHA-256 (written into this file by scripts/bundle.mjs
 * together with the bundle), so a rebuilt bundle never meets an old cache; V8 itself refuses a
 * cache made for a source of another length or by another V8 version or flag set
 * (cachedDataRejected), and then a fresh one replaces it. Written as temp file + rename, so
 * concurrent guests never see half a file. Failing to read or write it only costs time.
 */
const { readFileSync, renameSync, unlinkSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { Script } = require("node:vm");
const { dialHypervisor, whenDialed } = require("./guest-dial.cjs");

const early = dialHypervisor();

function compileBundle() {
  const bundle = join(__dirname, "guest.bundle.cjs");
  // The bundle is pure ASCII (the build checks), so latin1 decodes it exactly, and fastest.
  const source = readFileSync(bundle, "latin1");
  const cacheFile = join(__dirname, `guest.bundle.${"__BUNDLE_SHA256__".slice(0, 16)}.v8cache`);

  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache yet: this guest compiles everything and leaves a cache behind
  }

  // The CommonJS wrapper Node itself would use; the bundle's hashbang line is blanked, not
  // removed, so line numbers in stack traces stay those of guest.bundle.cjs.
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, "")}\n})`,
    { filename: bundle, cachedData },
  );

  if (cachedData === undefined || script.cachedDataRejected) {
    let saved = false;
    const save = () => {
      if (saved) return;
      saved = true;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        try {
          unlinkSync(tmp);
        } catch {
          // nothing was written
        }
      }
    };
    // Only a guest that ran (two seconds, or a clean exit: stopped by its hypervisor) leaves a
    // cache behind; one that failed early would leave one without the boot path in it.
    process.once("exit", (code) => code === 0 && save());
    setTimeout(save, 2000).unref();
  }

  return () => {
    const mod = { exports: {} };
    script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, __dirname);
  };
}

// Compiling takes long enough for the TCP connection to complete (net writes the queued request
// from the event loop, on connect); running the bundle waits for that, not the other way round.
const runBundle = compileBundle();
whenDialed(early).then(runBundle);
