import { spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeSeedFile, SEED_FILE_SIZE, SeedFile, SeedFileError } from "../src/seed-file.js";

const tmp = () => mkdtempSync(join(tmpdir(), "vmrng-seed-"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fresh = (v: number) => new Uint8Array(32).fill(v);

describe("SeedFile: the loader's persistent per-VM seed", () => {
  it("writes a complete 0600 replacement at every boot and hands out a seed not stored in it", () => {
    const path = join(tmp(), "vm.seed");
    const f = new SeedFile(path);
    const first = f.next(fresh(1));
    expect(first.hadPrevious).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const bytes = new Uint8Array(readFileSync(path));
    expect(bytes.length).toBe(SEED_FILE_SIZE);
    const stored = decodeSeedFile(bytes);
    expect(stored).not.toBeNull();
    // The kernel's seed cannot be read back from the file that survives the boot.
    expect(hex(stored!)).not.toBe(hex(first.seed));
    const second = f.next(fresh(1));
    expect(second.hadPrevious).toBe(true);
    expect(hex(second.seed)).not.toBe(hex(first.seed));
    expect(hex(f.readCurrent()!)).not.toBe(hex(stored!));
  });

  it("the same fresh bytes never give the same seed twice: the old file is in every derivation", () => {
    const f = new SeedFile(join(tmp(), "vm.seed"));
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(hex(f.next(fresh(0)).seed));
    expect(seen.size).toBe(50);
  });

  it("a torn, empty or foreign file counts as no previous seed and is replaced whole", () => {
    const dir = tmp();
    const path = join(dir, "vm.seed");
    const f = new SeedFile(path);
    f.next(fresh(2));
    const good = readFileSync(path);
    for (const bad of [good.subarray(0, 20), Buffer.alloc(0), Buffer.from("hello, world")]) {
      writeFileSync(path, bad);
      expect(f.readCurrent()).toBeNull();
      expect(f.next(fresh(2)).hadPrevious).toBe(false);
      expect(decodeSeedFile(new Uint8Array(readFileSync(path)))).not.toBeNull();
    }
    const flipped = Buffer.from(good);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(decodeSeedFile(new Uint8Array(flipped))).toBeNull();
  });

  it("refuses short fresh input with a typed error and leaves the file untouched", () => {
    const path = join(tmp(), "vm.seed");
    const f = new SeedFile(path);
    f.next(fresh(3));
    const before = readFileSync(path);
    expect(() => f.next(new Uint8Array(8))).toThrow(SeedFileError);
    expect(readFileSync(path)).toEqual(before);
  });
});

const DIST = fileURLToPath(new URL("../dist/seed-file.js", import.meta.url));

describe("killing the loader at random points, 100 times", () => {
  it("never hands out a seed twice and never leaves the seed file empty or torn", async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run the build first`);
    const path = join(tmp(), "vm.seed");
    // Constant "fresh" bytes on purpose: only the write-before-hand-out ordering and the old
    // file's contribution can keep seeds apart, so a reordering would show up as a repeat.
    const script = `
      import { SeedFile } from ${JSON.stringify(DIST)};
      import { writeSync } from "node:fs";
      const f = new SeedFile(${JSON.stringify(path)});
      for (;;) {
        const { seed } = f.next(new Uint8Array(32));
        writeSync(1, Buffer.from(seed).toString("hex") + "\\n");
      }`;
    const handed: string[] = [];
    let rng = 0x12345678;
    const rand = () => {
      rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
      return rng / 2 ** 32;
    };
    for (let round = 0; round < 100; round++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      let started!: () => void;
      const running = new Promise<void>((r) => {
        started = r;
      });
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString("utf8");
        started();
      });
      const exited = new Promise((r) => child.on("exit", r));
      // Once the loader is in its boot loop, kill it at a random point of it.
      await running;
      await new Promise((r) => setTimeout(r, rand() * 20));
      child.kill("SIGKILL");
      await exited;
      for (const line of out.split("\n")) if (/^[0-9a-f]{64}$/.test(line)) handed.push(line);
      const bytes = new Uint8Array(readFileSync(path));
      expect(bytes.length, `round ${round}`).toBe(SEED_FILE_SIZE);
      expect(decodeSeedFile(bytes), `round ${round}`).not.toBeNull();
    }
    expect(handed.length).toBeGreaterThan(100);
    // A clean boot afterwards leaves only the seed file: crash leftovers are swept.
    new SeedFile(path).next(new Uint8Array(32));
    expect(readdirSync(dirname(path))).toEqual(["vm.seed"]);
    expect(new Set(handed).size).toBe(handed.length);
  }, 60_000);
});
