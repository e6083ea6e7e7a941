import { type ChannelAccounting, ChannelCounters } from "../accounting.js";
import { BootImageError } from "../errors.js";
import {
  BOOT_FLAG,
  BOOT_PARAMS_SIZE,
  DEFAULT_PROTOCOL,
  DEFAULT_SETUP_DATA_BASE,
  DEFAULT_ZERO_PAGE_ADDR,
  HDRS_MAGIC,
  LOADED_HIGH,
  LOADER_UNDEFINED,
  MIN_SETUP_DATA_PROTOCOL,
  OFF_BOOT_FLAG,
  OFF_HEADER,
  OFF_LOADFLAGS,
  OFF_SETUP_DATA,
  OFF_SETUP_SECTS,
  OFF_TYPE_OF_LOADER,
  OFF_VERSION,
  OFF_XLOADFLAGS,
  RNG_SEED_LENGTH,
  SETUP_DATA_HEADER_SIZE,
  SETUP_RNG_SEED,
  XLF_KERNEL_64,
} from "./bootparam.js";
import { GuestMemory } from "./guest-memory.js";
import { encodeSetupData } from "./setup-data.js";

/** An extra setup_data node the loader should chain (e.g. SETUP_DTB, SETUP_E820_EXT). */
export interface SetupDataNodeSpec {
  type: number;
  data: Uint8Array;
}

export interface BootImageOptions {
  /** The RNG seed to pass as SETUP_RNG_SEED; omitted = no seed node. */
  seed?: Uint8Array;
  /** Extra nodes, chained after the seed in this order. */
  nodes?: readonly SetupDataNodeSpec[];
  /** Guest RAM size (default 64 MiB). Ignored when `memory` is given. */
  memorySize?: bigint;
  /** Write into an existing guest memory instead of a fresh one. */
  memory?: GuestMemory;
  zeroPageAddr?: bigint;
  setupDataBase?: bigint;
  /** The kernel's advertised boot protocol (hdr.version); default 2.15. */
  protocolVersion?: number;
}

export interface PlacedSetupData {
  addr: bigint;
  type: number;
  len: number;
}

export interface BootImage {
  memory: GuestMemory;
  zeroPageAddr: bigint;
  /** Nodes in list order (head first). */
  nodes: PlacedSetupData[];
  /** Address of the SETUP_RNG_SEED node, if one was placed. */
  seedAddr: bigint | null;
  /** Why no seed node was placed although one was asked for. */
  seedSkipped: string | null;
  /** The setup_data channel: one request of the seed's length when a seed was placed (t = 0). */
  accounting: ChannelAccounting;
}

const MAX_NODE_DATA = 1 << 20;

/**
 * The loader side (QEMU x86_load_linux / Firecracker configure_system): writes a zero page
 * with a valid setup_header, then the setup_data list, head pointer at boot_params+0x250.
 * Like QEMU, the seed node is the list head and nodes are 16-byte aligned; like QEMU, no
 * setup_data is written for a kernel older than protocol 2.09, which would not look for it.
 */
export function buildBootImage(opts: BootImageOptions = {}): BootImage {
  const memory = opts.memory ?? new GuestMemory(opts.memorySize ?? 64n << 20n);
  const zeroPageAddr = opts.zeroPageAddr ?? DEFAULT_ZERO_PAGE_ADDR;
  const version = opts.protocolVersion ?? DEFAULT_PROTOCOL;
  if (!Number.isInteger(version) || version < 0x200 || version > 0xffff) {
    throw new BootImageError("BAD_PROTOCOL", `boot protocol version 0x${version.toString(16)}`);
  }
  if (!memory.contains(zeroPageAddr, BOOT_PARAMS_SIZE)) {
    throw new BootImageError("OUT_OF_RANGE", "zero page does not fit in guest RAM");
  }

  const zp = new Uint8Array(BOOT_PARAMS_SIZE);
  const dv = new DataView(zp.buffer);
  zp[OFF_SETUP_SECTS] = 0; // 0 means 4 (boot.rst); our image has no real-mode code
  dv.setUint16(OFF_BOOT_FLAG, BOOT_FLAG, true);
  dv.setUint32(OFF_HEADER, HDRS_MAGIC, true);
  dv.setUint16(OFF_VERSION, version, true);
  zp[OFF_TYPE_OF_LOADER] = LOADER_UNDEFINED;
  zp[OFF_LOADFLAGS] = LOADED_HIGH;
  dv.setUint16(OFF_XLOADFLAGS, XLF_KERNEL_64, true);

  const specs: SetupDataNodeSpec[] = [];
  let seedSkipped: string | null = null;
  if (opts.seed !== undefined) {
    if (opts.seed.length === 0 || opts.seed.length > BOOT_PARAMS_SIZE) {
      throw new BootImageError(
        "BAD_SEED_LENGTH",
        `seed must be 1..4096 bytes (QEMU passes ${RNG_SEED_LENGTH}), got ${opts.seed.length}`,
      );
    }
    specs.push({ type: SETUP_RNG_SEED, data: opts.seed });
  }
  for (const n of opts.nodes ?? []) {
    if (!Number.isInteger(n.type) || n.type < 0 || n.type > 0xffff_ffff) {
      throw new BootImageError("BAD_NODE", `setup_data type ${n.type} is not a u32`);
    }
    if (n.data.length > MAX_NODE_DATA) {
      throw new BootImageError("BAD_NODE", `setup_data node of ${n.data.length} bytes`);
    }
    specs.push(n);
  }
  if (version < MIN_SETUP_DATA_PROTOCOL && specs.length > 0) {
    seedSkipped = opts.seed ? "kernel boot protocol < 2.09 has no setup_data" : null;
    specs.length = 0;
  }

  // Lay nodes out back to back, 16-byte aligned, then link head -> ... -> 0.
  const addrs: bigint[] = [];
  let cursor = opts.setupDataBase ?? DEFAULT_SETUP_DATA_BASE;
  for (const s of specs) {
    cursor = (cursor + 15n) & ~15n;
    addrs.push(cursor);
    cursor += BigInt(SETUP_DATA_HEADER_SIZE + s.data.length);
  }
  const nodes: PlacedSetupData[] = [];
  specs.forEach((s, i) => {
    const addr = addrs[i]!;
    const next = addrs[i + 1] ?? 0n;
    if (!memory.contains(addr, SETUP_DATA_HEADER_SIZE + s.data.length)) {
      throw new BootImageError("OUT_OF_RANGE", `setup_data node at 0x${addr.toString(16)}`);
    }
    memory.write(addr, encodeSetupData(next, s.type, s.data));
    nodes.push({ addr, type: s.type, len: s.data.length });
  });
  dv.setBigUint64(OFF_SETUP_DATA, addrs[0] ?? 0n, true);
  memory.write(zeroPageAddr, zp);

  const seedNode = opts.seed !== undefined && nodes[0]?.type === SETUP_RNG_SEED ? nodes[0] : null;
  const counters = new ChannelCounters("setup_data");
  if (seedNode) counters.served(seedNode.len, 0);
  else if (opts.seed !== undefined) counters.rejected();
  return {
    memory,
    zeroPageAddr,
    nodes,
    seedAddr: seedNode?.addr ?? null,
    seedSkipped,
    accounting: counters.snapshot(),
  };
}

/** What a loader placed in guest memory, as bytes: the zero page and each setup_data node. */
export interface LoadedImageBytes {
  /** The 4096-byte boot_params at `zeroPageAddr`. */
  zeroPage: Uint8Array;
  /** Each node in list order: its guest-physical address and its header + payload bytes. */
  setupData: { gpa: bigint; data: Uint8Array }[];
}

/** Reads back what buildBootImage() wrote, so it can travel to a guest or be compared. */
export function readLoadedImage(image: BootImage): LoadedImageBytes {
  return {
    zeroPage: image.memory.read(image.zeroPageAddr, BOOT_PARAMS_SIZE),
    setupData: image.nodes.map((n) => ({
      gpa: n.addr,
      data: image.memory.read(n.addr, SETUP_DATA_HEADER_SIZE + n.len),
    })),
  };
}
