import { BOOT_PARAMS_SIZE, type BootImage, GuestMemory, readLoadedImage } from "@vmrng/devices";
import { GuestKernelError } from "./errors.js";

/** A run of guest-physical memory the loader wrote. */
export interface GuestMemoryRegion {
  addr: bigint;
  bytes: Uint8Array;
}

/**
 * The boot image as the hypervisor hands it over: plain, serializable data. `regions` hold the
 * zero page (struct boot_params) at `zeroPageAddr` and every setup_data node (16-byte header
 * and payload) at its guest-physical address. From the wire's `boot.params` message:
 * `{ zeroPageAddr: DEFAULT_ZERO_PAGE_ADDR, regions: [{ addr: DEFAULT_ZERO_PAGE_ADDR, bytes:
 * bootParams }, ...setupData.map((n) => ({ addr: n.gpa, bytes: n.data }))] }`.
 */
export interface BootImageInput {
  zeroPageAddr: bigint;
  regions: readonly GuestMemoryRegion[];
  /** Guest RAM size; default: 64 MiB or the end of the highest region, page-rounded. */
  memorySize?: bigint;
}

const PAGE = 4096n;
const DEFAULT_RAM = 64n << 20n;
const MAX_RAM = 1n << 52n;

function bad(message: string): never {
  throw new GuestKernelError("BAD_BOOT_IMAGE", message);
}

/** Build the guest's memory from the image, refusing anything malformed with a typed error. */
export function loadGuestMemory(input: BootImageInput): GuestMemory {
  if (typeof input !== "object" || input === null) bad("boot image must be an object");
  if (typeof input.zeroPageAddr !== "bigint" || input.zeroPageAddr < 0n) {
    bad("zeroPageAddr must be a non-negative bigint");
  }
  if (!Array.isArray(input.regions)) bad("regions must be an array");
  let end = input.zeroPageAddr + BigInt(BOOT_PARAMS_SIZE);
  input.regions.forEach((r, i) => {
    if (typeof r !== "object" || r === null) bad(`regions[${i}] must be an object`);
    if (typeof r.addr !== "bigint" || r.addr < 0n) bad(`regions[${i}].addr must be a bigint >= 0`);
    if (!(r.bytes instanceof Uint8Array)) bad(`regions[${i}].bytes must be a Uint8Array`);
    const e = r.addr + BigInt(r.bytes.length);
    if (e > end) end = e;
  });
  const rounded = ((end + PAGE - 1n) / PAGE) * PAGE;
  const size = input.memorySize ?? (rounded > DEFAULT_RAM ? rounded : DEFAULT_RAM);
  if (typeof size !== "bigint" || size < rounded || size > MAX_RAM || size % PAGE !== 0n) {
    bad(`memorySize must be a page multiple covering every region (>= ${rounded}), below 2^52`);
  }
  const memory = new GuestMemory(size);
  for (const r of input.regions) memory.write(r.addr, r.bytes);
  return memory;
}

/** The image a devices loader (buildBootImage / buildKexecImage) produced, as plain regions. */
export function bootImageInput(image: BootImage): BootImageInput {
  const { zeroPage, setupData } = readLoadedImage(image);
  const regions: GuestMemoryRegion[] = [
    { addr: image.zeroPageAddr, bytes: zeroPage },
    ...setupData.map((n) => ({ addr: n.gpa, bytes: n.data })),
  ];
  return { zeroPageAddr: image.zeroPageAddr, regions, memorySize: image.memory.size };
}
