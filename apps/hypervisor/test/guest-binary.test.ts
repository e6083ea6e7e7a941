import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findGuestBinary } from "../src/guest-binary.js";

/** A fake apps/guest/dist with a bundle built from two inputs, one of them outside dist. */
let root: string;
let dist: string;
const at = (file: string, seconds: number): void => utimesSync(file, seconds, seconds);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "guest-binary-"));
  dist = join(root, "guest", "dist");
  mkdirSync(dist, { recursive: true });
  mkdirSync(join(root, "wire", "dist"), { recursive: true });
  writeFileSync(join(dist, "main.js"), "");
  writeFileSync(join(root, "wire", "dist", "index.js"), "");
  writeFileSync(join(dist, "guest.bundle.cjs"), "");
  writeFileSync(join(dist, "guest-start.cjs"), "");
  writeFileSync(
    join(dist, "guest.bundle.json"),
    JSON.stringify({
      entry: "guest-start.cjs",
      bundle: "guest.bundle.cjs",
      inputs: ["main.js", "../../wire/dist/index.js"],
    }),
  );
  at(join(dist, "main.js"), 1000);
  at(join(root, "wire", "dist", "index.js"), 1000);
  at(join(dist, "guest.bundle.cjs"), 2000);
  at(join(dist, "guest-start.cjs"), 2000);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("findGuestBinary", () => {
  it("starts guests from the bundle's entry when it is newer than every input", () => {
    expect(findGuestBinary(dist)).toEqual({
      script: join(dist, "guest-start.cjs"),
      kind: "bundle",
    });
  });

  it("falls back to main.js, naming the input, when a package was rebuilt after the bundle", () => {
    at(join(root, "wire", "dist", "index.js"), 3000);
    const b = findGuestBinary(dist);
    expect(b.kind).toBe("modules");
    expect(b.script).toBe(join(dist, "main.js"));
    expect(b.reason).toContain("../../wire/dist/index.js");
  });

  it("keeps the bundle when an input was written a few ms after it (a turbo cache restore)", () => {
    at(join(root, "wire", "dist", "index.js"), 2000.005);
    expect(findGuestBinary(dist).kind).toBe("bundle");
  });

  it("falls back when the entry is older than an input even if the bundle is not", () => {
    at(join(dist, "guest-start.cjs"), 500);
    expect(findGuestBinary(dist).kind).toBe("modules");
  });

  it("falls back with a reason when a listed input or the bundle is missing", () => {
    rmSync(join(dist, "guest.bundle.cjs"));
    const b = findGuestBinary(dist);
    expect(b.kind).toBe("modules");
    expect(b.reason).toMatch(/incomplete/);
  });

  it("uses main.js without complaint when no bundle was ever built", () => {
    rmSync(join(dist, "guest.bundle.json"));
    expect(findGuestBinary(dist)).toEqual({ script: join(dist, "main.js"), kind: "modules" });
  });

  it("treats a manifest of the wrong shape as an incomplete bundle, never a crash", () => {
    writeFileSync(join(dist, "guest.bundle.json"), JSON.stringify({ entry: 3, inputs: "x" }));
    const b = findGuestBinary(dist);
    expect(b.kind).toBe("modules");
    expect(b.reason).toMatch(/incomplete/);
  });
});
