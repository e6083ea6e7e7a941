import { blake2s } from "@noble/hashes/blake2.js";
import { SetupDataError } from "../errors.js";
import type { EntropySink } from "../sink.js";
import {
  BOOT_FLAG,
  BOOT_PARAMS_SIZE,
  DEFAULT_ZERO_PAGE_ADDR,
  HDRS_MAGIC,
  MIN_SETUP_DATA_PROTOCOL,
  OFF_BOOT_FLAG,
  OFF_HEADER,
  OFF_SETUP_DATA,
  OFF_VERSION,
  SD_OFF_LEN,
  SETUP_DATA_HEADER_SIZE,
  SETUP_RNG_SEED,
} from "./bootparam.js";
import type { GuestMemory } from "./guest-memory.js";
import { decodeSetupDataHeader } from "./setup-data.js";

export interface ParseSetupDataOptions {
  /** random.trust_bootloader (default on in 6.x). */
  trustBootloader: boolean;
  /** A confidential guest: the host-provided seed is untrusted input, mixed but not credited. */
  coco: boolean;
  zeroPageAddr?: bigint;
  /** Walk bound: a list longer than this is treated as hostile. */
  maxNodes?: number;
  /** Largest seed accepted (the kernel maps whatever len says; we refuse absurd ones). */
  maxSeedBytes?: number;
}

export interface SeenSetupData {
  addr: bigint;
  type: number;
  len: number;
}

export interface ConsumedSeed {
  addr: bigint;
  len: number;
  /** true: add_bootloader_randomness (credited when trusted); false: add_device_randomness. */
  viaBootloader: boolean;
  /**
   * vmrng instrumentation, not in Linux: BLAKE2s-128 of the seed, taken before it is zeroed, so
   * tests can prove no two boots ever got the same seed without any log holding the seed.
   */
  fingerprint: string;
}

export interface ParsedSetupData {
  nodes: SeenSetupData[];
  seeds: ConsumedSeed[];
  /** Problems found; the walk stops at the first one that leaves no safe `next`. */
  errors: SetupDataError[];
  /** Kernel-log-style lines for the guest's dmesg. */
  log: string[];
}

const hex = (a: bigint): string => `0x${a.toString(16)}`;

/**
 * The kernel side: parse_setup_data() (arch/x86/kernel/setup.c). Walks hdr.setup_data; for
 * SETUP_RNG_SEED it maps the node, hands data[0..len) to add_bootloader_randomness, then
 * memzero_explicit()s the data ("Zero seed for forward secrecy") and the len field ("Zero
 * length in case we find ourselves back here by accident").
 *
 * The real walk trusts the loader completely (a cycle would spin forever, a wild pointer would
 * fault). Here the same walk is bounded: a revisited node, an address outside RAM, a length
 * running past RAM or too many nodes end the walk with a typed error, never a hang.
 */
export function parseSetupData(
  memory: GuestMemory,
  sink: EntropySink,
  opts: ParseSetupDataOptions,
): ParsedSetupData {
  const zp = opts.zeroPageAddr ?? DEFAULT_ZERO_PAGE_ADDR;
  const maxNodes = opts.maxNodes ?? 256;
  const maxSeed = opts.maxSeedBytes ?? 1 << 20;
  const out: ParsedSetupData = { nodes: [], seeds: [], errors: [], log: [] };
  const fail = (e: SetupDataError): ParsedSetupData => {
    out.errors.push(e);
    out.log.push(`setup_data: ${e.message}`);
    return out;
  };

  if (!memory.contains(zp, BOOT_PARAMS_SIZE)) {
    return fail(new SetupDataError("OUT_OF_RANGE", `zero page ${hex(zp)} outside RAM`, zp));
  }
  const page = memory.read(zp, BOOT_PARAMS_SIZE);
  const dv = new DataView(page.buffer);
  if (
    dv.getUint16(OFF_BOOT_FLAG, true) !== BOOT_FLAG ||
    dv.getUint32(OFF_HEADER, true) !== HDRS_MAGIC
  ) {
    return fail(new SetupDataError("BAD_HEADER", "zero page has no valid setup_header", zp));
  }
  if (dv.getUint16(OFF_VERSION, true) < MIN_SETUP_DATA_PROTOCOL) {
    out.log.push("setup_data: boot protocol < 2.09, no setup_data list");
    return out;
  }

  const untrusted = opts.coco || !opts.trustBootloader;
  const visited = new Set<bigint>();
  let pa = dv.getBigUint64(OFF_SETUP_DATA, true);
  while (pa !== 0n) {
    if (visited.has(pa)) {
      return fail(new SetupDataError("LOOP", `list loops back to ${hex(pa)}`, pa));
    }
    if (visited.size >= maxNodes) {
      return fail(new SetupDataError("TOO_MANY_NODES", `more than ${maxNodes} nodes`, pa));
    }
    if (!memory.contains(pa, SETUP_DATA_HEADER_SIZE)) {
      return fail(new SetupDataError("OUT_OF_RANGE", `node at ${hex(pa)} outside RAM`, pa));
    }
    visited.add(pa);
    const h = decodeSetupDataHeader(memory.read(pa, SETUP_DATA_HEADER_SIZE));
    out.nodes.push({ addr: pa, type: h.type, len: h.len });

    if (h.type === SETUP_RNG_SEED) {
      const dataAddr = pa + BigInt(SETUP_DATA_HEADER_SIZE);
      if (!memory.contains(dataAddr, h.len)) {
        // The node's header was readable, so its next pointer is still usable.
        const e = new SetupDataError(
          "OUT_OF_RANGE",
          `seed at ${hex(pa)} claims ${h.len} bytes past RAM`,
          pa,
        );
        out.errors.push(e);
        out.log.push(`setup_data: ${e.message}`);
      } else if (h.len > maxSeed) {
        const e = new SetupDataError(
          "SEED_TOO_LARGE",
          `seed at ${hex(pa)} claims ${h.len} bytes`,
          pa,
        );
        out.errors.push(e);
        out.log.push(`setup_data: ${e.message}`);
      } else {
        const seed = memory.read(dataAddr, h.len);
        const fingerprint = Buffer.from(blake2s(seed, { dkLen: 16 })).toString("hex");
        if (untrusted) sink.addDeviceRandomness(seed);
        else sink.addBootloaderRandomness(seed);
        seed.fill(0);
        memory.zero(dataAddr, h.len);
        memory.writeU32(pa + BigInt(SD_OFF_LEN), 0);
        out.seeds.push({ addr: pa, len: h.len, viaBootloader: !untrusted, fingerprint });
      }
    }
    pa = h.next;
  }
  return out;
}
