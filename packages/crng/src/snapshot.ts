import { PoolHash } from "./crypto/blake2s.js";
import { CrngError } from "./errors.js";
import { ALLOWED_HZ, CRNG_READY, POOL_BITS, ULONG_MAX } from "./kernel/constants.js";
import type { FastPool } from "./kernel/fast-pool.js";
import { InputPool } from "./kernel/input-pool.js";
import { Ratelimit } from "./kernel/ratelimit.js";
import type { JitterState, KernelConfig, RandomState } from "./kernel/state.js";
import { VgetrandomState } from "./vdso/vgetrandom-state.js";

export const SNAPSHOT_FORMAT = "vmrng-crng";
export const SNAPSHOT_VERSION = 1;

/**
 * The complete CRNG state as plain data (Uint8Array, number, bigint, string, boolean, null,
 * arrays and objects): msgpack- and structuredClone-safe. Times are virtual ms since boot;
 * jiffies are absolute (they include INITIAL_JIFFIES).
 * Not included: event listeners, queued events, vmfork notifiers and pending waiter promises
 * (a restored guest re-registers and re-waits), and the ArchRandom/Clock (passed to restore()).
 */
export interface CrngSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  /** Virtual ms up to which timers had run. */
  takenAt: number;
  config: KernelConfig;
  /** input_pool: BLAKE2s chaining value h, byte counter t, pending block, and init_bits. */
  pool: { h: Uint8Array; t: number; buf: Uint8Array; buflen: number; initBits: number };
  /** crng_init: 0 CRNG_EMPTY, 1 CRNG_EARLY, 2 CRNG_READY. */
  crngInit: number;
  base: { key: Uint8Array; generation: bigint };
  crngs: { key: Uint8Array; generation: bigint }[];
  fastPools: { pool: bigint[]; last: number; count: number; mixDueAt: number | null }[];
  vdsoData: { generation: bigint; isReady: boolean };
  reseedWork: { dueAt: number | null; earlyBoot: boolean; workqueuesOnline: boolean };
  urandomWarning: {
    interval: number;
    burst: number;
    printed: number;
    missed: number;
    begin: number;
  };
  maxwarn: number;
  jitter: {
    phase: JitterState["phase"];
    samplesPerBit: number;
    samples: number;
    stackEntropy: bigint;
    dueAt: number | null;
  };
  libcStates: { batchKey: Uint8Array; pos: number; generation: bigint }[];
}

export function snapshotState(s: RandomState, takenAt: number): CrngSnapshot {
  const raw = s.pool.hash.exportRaw();
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    takenAt,
    config: { ...s.config },
    pool: { h: raw.h, t: raw.t, buf: raw.buf, buflen: raw.buflen, initBits: s.pool.initBits },
    crngInit: s.crngInit,
    base: { key: s.base.key.slice(), generation: s.base.generation },
    crngs: s.crngs.map((c) => ({ key: c.key.slice(), generation: c.generation })),
    fastPools: s.fastPools.map((f) => ({
      pool: [...f.pool],
      last: f.last,
      count: f.count,
      mixDueAt: f.mixDueAt,
    })),
    vdsoData: { ...s.vdsoData },
    reseedWork: { ...s.reseedWork },
    urandomWarning: s.urandomWarning.snapshot(),
    maxwarn: s.maxwarn,
    jitter: { ...s.jitter },
    libcStates: s.libcStates.map((v) => v.snapshot()),
  };
}

/** Walks an unknown value with a path, so every rejection names the field. */
class Check {
  constructor(private readonly path: string) {}
  fail(what: string): never {
    throw new CrngError("EBADSNAPSHOT", `invalid CRNG snapshot: ${this.path} ${what}`);
  }
  at(key: string | number): Check {
    return new Check(typeof key === "number" ? `${this.path}[${key}]` : `${this.path}.${key}`);
  }
}

function obj(v: unknown, c: Check): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) c.fail("must be an object");
  return v as Record<string, unknown>;
}
function arr(v: unknown, c: Check, len?: number): unknown[] {
  if (!Array.isArray(v)) c.fail("must be an array");
  if (len !== undefined && v.length !== len) c.fail(`must have ${len} elements, has ${v.length}`);
  return v;
}
function bytes(v: unknown, c: Check, len?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) c.fail("must be a Uint8Array");
  if (len !== undefined && v.length !== len) c.fail(`must be ${len} bytes, is ${v.length}`);
  return v.slice();
}
function int(v: unknown, c: Check, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    c.fail(`must be an integer in ${min}..${max}`);
  }
  return v;
}
function num(v: unknown, c: Check): number {
  if (typeof v !== "number" || !Number.isFinite(v)) c.fail("must be a finite number");
  return v;
}
function numOrNull(v: unknown, c: Check): number | null {
  return v === null ? null : num(v, c);
}
function u64(v: unknown, c: Check): bigint {
  if (typeof v !== "bigint" || v < 0n || v > ULONG_MAX) c.fail("must be a u64 bigint");
  return v;
}
function bool(v: unknown, c: Check): boolean {
  if (typeof v !== "boolean") c.fail("must be a boolean");
  return v;
}

function readConfig(v: unknown, c: Check): KernelConfig {
  const o = obj(v, c);
  const hz = int(o.hz, c.at("hz"), 1, 10_000);
  if (!(ALLOWED_HZ as readonly number[]).includes(hz)) c.at("hz").fail("is not a CONFIG_HZ value");
  const tick = o.jitterTickMs === null ? null : num(o.jitterTickMs, c.at("jitterTickMs"));
  if (tick !== null && !(tick > 0)) c.at("jitterTickMs").fail("must be positive");
  return {
    cpus: int(o.cpus, c.at("cpus"), 1, 1024),
    hz,
    trustCpu: bool(o.trustCpu, c.at("trustCpu")),
    trustBootloader: bool(o.trustBootloader, c.at("trustBootloader")),
    ratelimitDisable: bool(o.ratelimitDisable, c.at("ratelimitDisable")),
    jitterEnabled: bool(o.jitterEnabled, c.at("jitterEnabled")),
    jitterTickMs: tick,
    libcBatchBlocks: int(o.libcBatchBlocks, c.at("libcBatchBlocks"), 2, 1024),
  };
}

function readKey(v: unknown, c: Check): { key: Uint8Array; generation: bigint } {
  const o = obj(v, c);
  return { key: bytes(o.key, c.at("key"), 32), generation: u64(o.generation, c.at("generation")) };
}

function readFastPool(v: unknown, c: Check): FastPool {
  const o = obj(v, c);
  const pool = arr(o.pool, c.at("pool"), 4).map((w, i) => u64(w, c.at("pool").at(i)));
  return {
    pool,
    last: int(o.last, c.at("last"), 0, Number.MAX_SAFE_INTEGER),
    count: int(o.count, c.at("count"), 0, 0xffff_ffff),
    mixDueAt: numOrNull(o.mixDueAt, c.at("mixDueAt")),
  };
}

function readJitter(v: unknown, c: Check): JitterState {
  const o = obj(v, c);
  const phase = o.phase;
  if (phase !== "idle" && phase !== "running" && phase !== "retry") {
    return c.at("phase").fail('must be "idle", "running" or "retry"');
  }
  const j: JitterState = {
    phase: phase as JitterState["phase"],
    samplesPerBit: int(o.samplesPerBit, c.at("samplesPerBit"), 0, 8192),
    samples: int(o.samples, c.at("samples"), 0, Number.MAX_SAFE_INTEGER),
    stackEntropy: u64(o.stackEntropy, c.at("stackEntropy")),
    dueAt: numOrNull(o.dueAt, c.at("dueAt")),
  };
  if (phase === "running" && j.samplesPerBit < 1) c.at("samplesPerBit").fail("must be >= 1");
  if (phase !== "idle" && j.dueAt === null) c.at("dueAt").fail(`must be set while ${phase}`);
  return j;
}

function readLibcState(v: unknown, c: Check, blocks: number): VgetrandomState {
  const o = obj(v, c);
  const st = new VgetrandomState(blocks);
  st.batchKey.set(bytes(o.batchKey, c.at("batchKey"), blocks * 64));
  st.pos = int(o.pos, c.at("pos"), 0, st.batchLen);
  st.generation = u64(o.generation, c.at("generation"));
  return st;
}

/** Validates `value` as a CrngSnapshot and rebuilds the RandomState it describes. */
export function restoreState(value: unknown): { state: RandomState; takenAt: number } {
  const root = new Check("snapshot");
  const o = obj(value, root);
  if (o.format !== SNAPSHOT_FORMAT) root.at("format").fail(`must be "${SNAPSHOT_FORMAT}"`);
  if (o.version !== SNAPSHOT_VERSION) root.at("version").fail(`must be ${SNAPSHOT_VERSION}`);
  const takenAt = num(o.takenAt, root.at("takenAt"));
  const config = readConfig(o.config, root.at("config"));

  const p = obj(o.pool, root.at("pool"));
  const pc = root.at("pool");
  const hash = PoolHash.importRaw({
    h: bytes(p.h, pc.at("h"), 32),
    t: int(p.t, pc.at("t"), 0, Number.MAX_SAFE_INTEGER),
    buf: bytes(p.buf, pc.at("buf"), 64),
    buflen: int(p.buflen, pc.at("buflen"), 0, 64),
  });
  const initBits = int(p.initBits, pc.at("initBits"), 0, POOL_BITS);

  const crngInit = int(o.crngInit, root.at("crngInit"), 0, 2) as 0 | 1 | 2;
  if (crngInit === CRNG_READY && initBits !== POOL_BITS) {
    root.at("pool.initBits").fail("must be 256 once crng_init is CRNG_READY");
  }
  const crngs = arr(o.crngs, root.at("crngs"), config.cpus).map((v, i) =>
    readKey(v, root.at("crngs").at(i)),
  );
  const fastPools = arr(o.fastPools, root.at("fastPools"), config.cpus).map((v, i) =>
    readFastPool(v, root.at("fastPools").at(i)),
  );
  const vd = obj(o.vdsoData, root.at("vdsoData"));
  const rw = obj(o.reseedWork, root.at("reseedWork"));
  const rl = obj(o.urandomWarning, root.at("urandomWarning"));
  const rc = root.at("urandomWarning");
  const urandomWarning = Ratelimit.restore({
    interval: int(rl.interval, rc.at("interval"), 0, 1_000_000),
    burst: int(rl.burst, rc.at("burst"), 0, 1_000_000),
    printed: int(rl.printed, rc.at("printed"), 0, 1_000_000),
    missed: int(rl.missed, rc.at("missed"), 0, 0x7fff_ffff),
    begin: int(rl.begin, rc.at("begin"), 0, Number.MAX_SAFE_INTEGER),
  });
  const libcStates = arr(o.libcStates, root.at("libcStates"), config.cpus).map((v, i) =>
    readLibcState(v, root.at("libcStates").at(i), config.libcBatchBlocks),
  );

  const state: RandomState = {
    config,
    pool: new InputPool(hash, initBits),
    crngInit,
    base: readKey(o.base, root.at("base")),
    crngs,
    fastPools,
    vdsoData: {
      generation: u64(vd.generation, root.at("vdsoData.generation")),
      isReady: bool(vd.isReady, root.at("vdsoData.isReady")),
    },
    reseedWork: {
      dueAt: numOrNull(rw.dueAt, root.at("reseedWork.dueAt")),
      earlyBoot: bool(rw.earlyBoot, root.at("reseedWork.earlyBoot")),
      workqueuesOnline: bool(rw.workqueuesOnline, root.at("reseedWork.workqueuesOnline")),
    },
    urandomWarning,
    maxwarn: int(o.maxwarn, root.at("maxwarn"), -0x8000_0000, 10),
    jitter: readJitter(o.jitter, root.at("jitter")),
    libcStates,
  };
  return { state, takenAt };
}
