import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { atomicWriteFile } from "@vmrng/cluster";

/** RNG_SEED_LENGTH: the loader hands the kernel 32 bytes (QEMU hw/i386/x86.c, kexec). */
export const SEED_LENGTH = 32;
const MAGIC = new TextEncoder().encode("VMRNGSD1");
const CHECK_LENGTH = 8;
/** magic ‖ 32-byte seed ‖ 8-byte check (BLAKE2s of magic ‖ seed, truncated). */
export const SEED_FILE_SIZE = MAGIC.length + SEED_LENGTH + CHECK_LENGTH;

export class SeedFileError extends Error {
  constructor(
    readonly code: "BAD_FRESH" | "WRITE_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "SeedFileError";
  }
}

const blake2s = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("blake2s256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

function encode(seed: Uint8Array): Uint8Array {
  const out = new Uint8Array(SEED_FILE_SIZE);
  out.set(MAGIC, 0);
  out.set(seed, MAGIC.length);
  out.set(blake2s(MAGIC, seed).subarray(0, CHECK_LENGTH), MAGIC.length + SEED_LENGTH);
  return out;
}

/** The seed in a seed file's bytes, or null when they are not a complete, intact seed file. */
export function decodeSeedFile(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length !== SEED_FILE_SIZE) return null;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return null;
  const seed = bytes.slice(MAGIC.length, MAGIC.length + SEED_LENGTH);
  const check = blake2s(MAGIC, seed).subarray(0, CHECK_LENGTH);
  const got = bytes.subarray(MAGIC.length + SEED_LENGTH);
  for (let i = 0; i < CHECK_LENGTH; i++) if (check[i] !== got[i]) return null;
  return seed;
}

export interface SeedFileBoot {
  /** The 32 bytes for SETUP_RNG_SEED. */
  seed: Uint8Array;
  /** Whether a valid previous seed file went into it (false on first boot or a bad file). */
  hadPrevious: boolean;
}

/**
 * The loader's persistent seed file for one VM (the bootloader's own seed management, in
 * the spirit of systemd-boot's random-seed and seedrng): at every boot it reads the old
 * file, derives from it and `fresh` host bytes both a replacement file and the kernel's
 * seed, writes and fsyncs the replacement (atomically: temp, fsync, rename, fsync dir)
 * BEFORE the seed is handed over, and only then returns the seed. A crash before the rename
 * leaves the old file, but the next boot mixes different fresh bytes; a crash after it
 * leaves a file this boot's seed can no longer be derived from. So no two boots get the same
 * seed, and the file is always either the old or the new complete file.
 */
export class SeedFile {
  constructor(readonly path: string) {}

  /** The current seed file's seed, or null (absent, empty, torn, foreign). */
  readCurrent(): Uint8Array | null {
    try {
      return decodeSeedFile(new Uint8Array(readFileSync(this.path)));
    } catch {
      return null;
    }
  }

  /** Temp files a loader killed mid-write left beside the seed file (never the live file). */
  private removeStaleTemps(): void {
    const prefix = `${basename(this.path)}.`;
    try {
      for (const name of readdirSync(dirname(this.path))) {
        if (name.startsWith(prefix) && name.endsWith(".tmp")) {
          rmSync(join(dirname(this.path), name), { force: true });
        }
      }
    } catch {
      // best effort: a leftover temp file holds a seed nobody will ever use
    }
  }

  next(fresh: Uint8Array): SeedFileBoot {
    if (!(fresh instanceof Uint8Array) || fresh.length < SEED_LENGTH) {
      throw new SeedFileError("BAD_FRESH", `fresh host bytes must be >= ${SEED_LENGTH} bytes`);
    }
    const old = this.readCurrent();
    const key = blake2s(
      new TextEncoder().encode("vmrng seed file v1"),
      old ?? new Uint8Array(0),
      fresh,
    );
    const nextFileSeed = blake2s(key, Uint8Array.of(1));
    const kernelSeed = blake2s(key, Uint8Array.of(2));
    try {
      atomicWriteFile(this.path, encode(nextFileSeed), 0o600);
    } catch (err) {
      // Never hand out a seed whose replacement is not durable.
      throw new SeedFileError("WRITE_FAILED", `seed file ${this.path}: ${(err as Error).message}`);
    }
    key.fill(0);
    nextFileSeed.fill(0);
    this.removeStaleTemps();
    return { seed: kernelSeed, hadPrevious: old !== null };
  }
}
