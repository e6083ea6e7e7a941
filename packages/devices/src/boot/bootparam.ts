/**
 * x86 boot protocol layout: arch/x86/include/uapi/asm/bootparam.h (struct boot_params,
 * struct setup_header, struct setup_data) and Documentation/arch/x86/boot.rst.
 * Offsets are from the start of boot_params (the "zero page").
 */

export const BOOT_PARAMS_SIZE = 4096;

/** struct setup_header starts at boot_params offset 0x1f1 (`hdr`). */
export const HDR_OFFSET = 0x1f1;
export const OFF_SETUP_SECTS = 0x1f1;
/** boot_flag: 0xAA55 ("boot.rst: Field name: boot_flag, Offset/size: 0x1FE/2"). */
export const OFF_BOOT_FLAG = 0x1fe;
/** header: the magic "HdrS" (0x53726448 little-endian), boot protocol 2.00+. */
export const OFF_HEADER = 0x202;
/** version: boot protocol version, e.g. 0x020F for 2.15. */
export const OFF_VERSION = 0x206;
/** type_of_loader: 0xFF = "undefined" loader ID (boot.rst). */
export const OFF_TYPE_OF_LOADER = 0x210;
export const OFF_LOADFLAGS = 0x211;
export const OFF_XLOADFLAGS = 0x236;
/** hdr.setup_data: 64-bit physical pointer to the setup_data list (0x250/8, protocol 2.09+). */
export const OFF_SETUP_DATA = 0x250;

export const BOOT_FLAG = 0xaa55;
export const HDRS_MAGIC = 0x53726448; // "HdrS"
/** setup_data exists from boot protocol 2.09 (boot.rst, "Protocol: 2.09+"). */
export const MIN_SETUP_DATA_PROTOCOL = 0x0209;
/** What current kernels advertise (2.15: SETUP_INDIRECT, kernel_info). */
export const DEFAULT_PROTOCOL = 0x020f;
export const LOADER_UNDEFINED = 0xff;

/** loadflags bit 0 LOADED_HIGH; xloadflags bit 0 XLF_KERNEL_64 (bootparam.h). */
export const LOADED_HIGH = 1 << 0;
export const XLF_KERNEL_64 = 1 << 0;

/** setup_data types (arch/x86/include/uapi/asm/setup_data.h, formerly bootparam.h). */
export const SETUP_NONE = 0;
export const SETUP_E820_EXT = 1;
export const SETUP_DTB = 2;
export const SETUP_PCI = 3;
export const SETUP_EFI = 4;
export const SETUP_APPLE_PROPERTIES = 5;
export const SETUP_JAILHOUSE = 6;
export const SETUP_CC_BLOB = 7;
export const SETUP_IMA = 8;
export const SETUP_RNG_SEED = 9;

/** sizeof(struct setup_data): u64 next, u32 type, u32 len; data[] follows. */
export const SETUP_DATA_HEADER_SIZE = 16;
export const SD_OFF_NEXT = 0;
export const SD_OFF_TYPE = 8;
export const SD_OFF_LEN = 12;

/** QEMU and kexec both pass 32 bytes (hw/i386/x86.c, kexec-bzimage64.c RNG_SEED_LENGTH). */
export const RNG_SEED_LENGTH = 32;

/** Where loaders put the zero page: Firecracker's ZERO_PAGE_START (arch/x86_64/layout.rs). */
export const DEFAULT_ZERO_PAGE_ADDR = 0x7000n;
/**
 * Where our loader places setup_data nodes: below 1 MiB, past Firecracker's boot page tables
 * (PML4_START 0x9000..0xbfff) and its command line (CMDLINE_START 0x20000, up to 64 KiB).
 */
export const DEFAULT_SETUP_DATA_BASE = 0x30000n;
