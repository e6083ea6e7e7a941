import { blake2s } from "@noble/hashes/blake2.js";
import { describe, expect, it } from "vitest";
import {
  BootImageError,
  buildBootImage,
  buildKexecImage,
  DEFAULT_SETUP_DATA_BASE,
  DEFAULT_ZERO_PAGE_ADDR,
  encodeSetupData,
  GuestMemory,
  GuestMemoryError,
  OFF_SETUP_DATA,
  parseSetupData,
  readLoadedImage,
  readU32,
  readU64,
  SETUP_DTB,
  SETUP_RNG_SEED,
  SetupDataError,
  seedForPolicy,
} from "../src/index.js";
import { RecordingSink, testBytes } from "./helpers.js";

const ZP = DEFAULT_ZERO_PAGE_ADDR;
const trusted = { trustBootloader: true, coco: false };
const seed32 = () => Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

describe("loader: boot_params and setup_data bytes", () => {
  it("writes a valid setup_header and the seed node at the exact offsets", () => {
    const seed = seed32();
    const img = buildBootImage({ seed });
    const zp = img.memory.read(ZP, 4096);
    expect([...zp.subarray(0x1fe, 0x200)]).toEqual([0x55, 0xaa]); // boot_flag 0xAA55
    expect(Buffer.from(zp.subarray(0x202, 0x206)).toString("latin1")).toBe("HdrS");
    expect([...zp.subarray(0x206, 0x208)]).toEqual([0x0f, 0x02]); // protocol 2.15
    expect(zp[0x210]).toBe(0xff); // type_of_loader: undefined
    // hdr.setup_data at 0x250 points at the seed node.
    const head = new DataView(zp.buffer).getBigUint64(0x250, true);
    expect(head).toBe(DEFAULT_SETUP_DATA_BASE);
    expect(img.seedAddr).toBe(DEFAULT_SETUP_DATA_BASE);

    const node = img.memory.read(head, 16 + 32);
    expect([...node.subarray(0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]); // next = 0
    expect([...node.subarray(8, 12)]).toEqual([9, 0, 0, 0]); // SETUP_RNG_SEED
    expect([...node.subarray(12, 16)]).toEqual([32, 0, 0, 0]); // len
    expect([...node.subarray(16)]).toEqual([...seed]);
  });

  it("chains extra nodes after the seed, 16-byte aligned", () => {
    const dtb = new Uint8Array([0xd0, 0x0d, 0xfe, 0xed, 1]);
    const img = buildBootImage({ seed: seed32(), nodes: [{ type: SETUP_DTB, data: dtb }] });
    expect(img.nodes.map((n) => [n.addr, n.type, n.len])).toEqual([
      [0x30000n, SETUP_RNG_SEED, 32],
      [0x30030n, SETUP_DTB, 5],
    ]);
    expect(img.memory.readU64(0x30000n)).toBe(0x30030n);
    expect(img.memory.readU64(0x30030n)).toBe(0n);
    expect([...img.memory.read(0x30030n + 16n, 5)]).toEqual([...dtb]);
  });

  it("accounts the seed on the setup_data channel", () => {
    expect(buildBootImage({ seed: seed32() }).accounting).toMatchObject({
      channel: "setup_data",
      requests: 1,
      bytes: 32,
      lastAtMs: 0,
    });
    expect(buildBootImage({}).accounting.requests).toBe(0);
    expect(buildBootImage({ seed: seed32(), protocolVersion: 0x0208 }).accounting.rejected).toBe(1);
  });

  it("encodeSetupData is the little-endian struct", () => {
    const b = encodeSetupData(0x1122334455667788n, 0x0a0b0c0d, new Uint8Array([7]));
    expect([...b]).toEqual([
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x0d, 0x0c, 0x0b, 0x0a, 1, 0, 0, 0, 7,
    ]);
  });

  it("writes no setup_data for a kernel older than protocol 2.09", () => {
    const img = buildBootImage({ seed: seed32(), protocolVersion: 0x0208 });
    expect(img.seedAddr).toBeNull();
    expect(img.seedSkipped).toMatch(/2\.09/);
    expect(img.memory.readU64(ZP + 0x250n)).toBe(0n);
    const sink = new RecordingSink();
    const r = parseSetupData(img.memory, sink, trusted);
    expect(sink.calls).toEqual([]);
    expect(r.log[0]).toMatch(/protocol < 2\.09/);
  });

  it("refuses bad seeds and nodes with typed errors", () => {
    expect(() => buildBootImage({ seed: new Uint8Array(0) })).toThrow(BootImageError);
    try {
      buildBootImage({ nodes: [{ type: -1, data: new Uint8Array(1) }] });
      expect.unreachable();
    } catch (e) {
      expect((e as BootImageError).code).toBe("BAD_NODE");
    }
  });
});

describe("kernel: parse_setup_data", () => {
  it("credits the seed via add_bootloader_randomness, then zeroes data and len", () => {
    const seed = seed32();
    const img = buildBootImage({
      seed,
      nodes: [{ type: SETUP_DTB, data: new Uint8Array([1, 2]) }],
    });
    const sink = new RecordingSink();
    const r = parseSetupData(img.memory, sink, trusted);
    expect(r.errors).toEqual([]);
    expect(sink.calls).toHaveLength(1);
    expect(sink.calls[0]).toEqual({ fn: "bootloader", buf: seed });
    // The fingerprint is BLAKE2s-128 of the seed as handed over, computed before it is zeroed.
    const fingerprint = Buffer.from(blake2s(seed, { dkLen: 16 })).toString("hex");
    expect(r.seeds).toEqual([{ addr: 0x30000n, len: 32, viaBootloader: true, fingerprint }]);
    expect(r.nodes.map((n) => n.type)).toEqual([SETUP_RNG_SEED, SETUP_DTB]);
    // Forward secrecy: data and len are zero, type and next untouched.
    expect([...img.memory.read(0x30000n + 16n, 32)]).toEqual(new Array(32).fill(0));
    expect(img.memory.readU32(0x30000n + 12n)).toBe(0);
    expect(img.memory.readU32(0x30000n + 8n)).toBe(SETUP_RNG_SEED);
    expect(img.memory.readU64(0x30000n)).toBe(0x30030n);
    // The DTB node is left alone.
    expect([...img.memory.read(0x30030n + 16n, 2)]).toEqual([1, 2]);
  });

  it("a second walk finds len = 0 and hands over nothing", () => {
    const img = buildBootImage({ seed: seed32() });
    parseSetupData(img.memory, new RecordingSink(), trusted);
    const again = new RecordingSink();
    const r = parseSetupData(img.memory, again, trusted);
    expect(again.calls).toEqual([{ fn: "bootloader", buf: new Uint8Array(0) }]);
    expect(r.seeds[0]!.len).toBe(0);
  });

  it("a CoCo guest or trust_bootloader=off mixes the seed uncredited", () => {
    for (const opts of [
      { trustBootloader: true, coco: true },
      { trustBootloader: false, coco: false },
    ]) {
      const seed = seed32();
      const img = buildBootImage({ seed });
      const sink = new RecordingSink();
      const r = parseSetupData(img.memory, sink, opts);
      expect(sink.calls).toEqual([{ fn: "device", buf: seed }]);
      expect(r.seeds[0]!.viaBootloader).toBe(false);
      expect([...img.memory.read(0x30010n, 32)]).toEqual(new Array(32).fill(0));
    }
  });

  it("stops on a list that loops back, after consuming the seed once", () => {
    const img = buildBootImage({
      seed: seed32(),
      nodes: [{ type: SETUP_DTB, data: new Uint8Array(4) }],
    });
    img.memory.writeU64(0x30030n, 0x30000n); // second node points back at the head
    const sink = new RecordingSink();
    const r = parseSetupData(img.memory, sink, trusted);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toBeInstanceOf(SetupDataError);
    expect(r.errors[0]!.code).toBe("LOOP");
    expect(r.errors[0]!.addr).toBe(0x30000n);
    expect(sink.of("bootloader")).toHaveLength(1);
    expect(r.log.some((l) => l.includes("loops back"))).toBe(true);
  });

  it("stops on a self-loop", () => {
    const img = buildBootImage({ nodes: [{ type: SETUP_DTB, data: new Uint8Array(1) }] });
    img.memory.writeU64(0x30000n, 0x30000n);
    const r = parseSetupData(img.memory, new RecordingSink(), trusted);
    expect(r.errors.map((e) => e.code)).toEqual(["LOOP"]);
    expect(r.nodes).toHaveLength(1);
  });

  it("stops on a pointer outside RAM without touching it", () => {
    const img = buildBootImage({
      memorySize: 1n << 20n,
      nodes: [{ type: SETUP_DTB, data: new Uint8Array(1) }],
    });
    img.memory.writeU64(0x30000n, 0xffff_ffff_ffff_fff0n);
    const pages = img.memory.backedPages;
    const r = parseSetupData(img.memory, new RecordingSink(), trusted);
    expect(r.errors.map((e) => [e.code, e.addr])).toEqual([
      ["OUT_OF_RANGE", 0xffff_ffff_ffff_fff0n],
    ]);
    expect(img.memory.backedPages).toBe(pages);
  });

  it("skips a seed whose len runs past RAM but keeps walking", () => {
    const img = buildBootImage({
      memorySize: 1n << 20n,
      seed: seed32(),
      nodes: [{ type: SETUP_RNG_SEED, data: Uint8Array.of(1, 2, 3, 4) }],
    });
    img.memory.writeU32(0x30000n + 12n, 0xffff_ffff); // absurd len on the first seed
    const sink = new RecordingSink();
    const r = parseSetupData(img.memory, sink, trusted);
    expect(r.errors.map((e) => e.code)).toEqual(["OUT_OF_RANGE"]);
    expect(sink.calls).toEqual([{ fn: "bootloader", buf: Uint8Array.of(1, 2, 3, 4) }]);
    expect(r.nodes).toHaveLength(2);
  });

  it("bounds the walk length and refuses oversized seeds", () => {
    const nodes = Array.from({ length: 10 }, () => ({ type: SETUP_DTB, data: new Uint8Array(1) }));
    const img = buildBootImage({ nodes });
    const r = parseSetupData(img.memory, new RecordingSink(), { ...trusted, maxNodes: 4 });
    expect(r.errors.map((e) => e.code)).toEqual(["TOO_MANY_NODES"]);
    expect(r.nodes).toHaveLength(4);

    const big = buildBootImage({ seed: new Uint8Array(4096).fill(3) });
    const sink = new RecordingSink();
    const r2 = parseSetupData(big.memory, sink, { ...trusted, maxSeedBytes: 64 });
    expect(r2.errors.map((e) => e.code)).toEqual(["SEED_TOO_LARGE"]);
    expect(sink.calls).toEqual([]);
  });

  it("reports a zero page without HdrS", () => {
    const mem = new GuestMemory(1n << 20n);
    const r = parseSetupData(mem, new RecordingSink(), trusted);
    expect(r.errors.map((e) => e.code)).toEqual(["BAD_HEADER"]);
  });
});

describe("seed policies and kexec", () => {
  const src = testBytes("loader");

  it("present / absent / zero / replayed", () => {
    const present = seedForPolicy({ kind: "present" }, src)!;
    expect(present).toHaveLength(32);
    expect(seedForPolicy({ kind: "absent" }, src)).toBeUndefined();
    expect([...seedForPolicy({ kind: "zero" }, src)!]).toEqual(new Array(32).fill(0));
    const replay = seedForPolicy({ kind: "replayed", seed: present }, src)!;
    expect(replay).toEqual(present);
    expect(replay).not.toBe(present);

    // A zero seed is still credited by a trusting kernel: that is the hazard it models.
    const img = buildBootImage({ seed: seedForPolicy({ kind: "zero" }, src)! });
    const sink = new RecordingSink();
    parseSetupData(img.memory, sink, trusted);
    expect(sink.of("bootloader")[0]!.buf).toEqual(new Uint8Array(32));
  });

  it("two boots with a replayed seed hand the kernel identical credited bytes", () => {
    const first = seedForPolicy({ kind: "present" }, src)!;
    const a = new RecordingSink();
    const b = new RecordingSink();
    parseSetupData(buildBootImage({ seed: first }).memory, a, trusted);
    parseSetupData(
      buildBootImage({ seed: seedForPolicy({ kind: "replayed", seed: first }, src)! }).memory,
      b,
      trusted,
    );
    expect(a.calls).toEqual(b.calls);
  });

  it("kexec passes the running kernel's 32 bytes only once its RNG is initialized", () => {
    const seed = seed32();
    const img = buildKexecImage({ seed, rngIsInitialized: true });
    const sink = new RecordingSink();
    parseSetupData(img.memory, sink, trusted);
    expect(sink.calls).toEqual([{ fn: "bootloader", buf: seed }]);

    const none = buildKexecImage({ seed, rngIsInitialized: false });
    expect(none.seedAddr).toBeNull();
    expect(none.seedSkipped).toMatch(/not initialized/);
    expect(() => buildKexecImage({ seed: new Uint8Array(16), rngIsInitialized: true })).toThrow(
      BootImageError,
    );
  });
});

describe("guest memory", () => {
  it("is bounds-checked and sparse, with accesses spanning pages", () => {
    const mem = new GuestMemory(0x3000n);
    mem.write(0xffen, Uint8Array.of(1, 2, 3, 4));
    expect([...mem.read(0xffen, 4)]).toEqual([1, 2, 3, 4]);
    expect(mem.backedPages).toBe(2);
    expect([...mem.read(0x2000n, 2)]).toEqual([0, 0]);
    for (const [addr, len] of [
      [0x2fffn, 2],
      [-1n, 1],
    ] as const) {
      try {
        mem.read(addr, len);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(GuestMemoryError);
        expect((e as GuestMemoryError).code).toBe("OUT_OF_RANGE");
      }
    }
    expect(() => new GuestMemory(100n)).toThrow(GuestMemoryError);
  });
});

describe("readLoadedImage", () => {
  it("reads back the zero page and each setup_data node exactly as the loader wrote them", () => {
    const seed = testBytes("seed")(32);
    const image = buildBootImage({ seed });
    const { zeroPage, setupData } = readLoadedImage(image);
    expect(zeroPage).toHaveLength(4096);
    expect(readU64(zeroPage, OFF_SETUP_DATA)).toBe(image.seedAddr);
    expect(setupData).toHaveLength(1);
    const [node] = setupData;
    expect(node!.gpa).toBe(image.seedAddr);
    expect(node!.data).toHaveLength(16 + 32);
    expect(readU32(node!.data, 8)).toBe(SETUP_RNG_SEED);
    expect(readU32(node!.data, 12)).toBe(32);
    expect([...node!.data.subarray(16)]).toEqual([...seed]);
    expect(readLoadedImage(buildBootImage()).setupData).toEqual([]);
  });
});
