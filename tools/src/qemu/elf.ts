import { QemuHarnessError } from "./errors.js";

/**
 * Just enough of ELF64 (little-endian, as on x86-64) to read a kernel module's `.modinfo`
 * section and to tell a static binary from a dynamic one: offsets from the System V gABI
 * (Elf64_Ehdr, Elf64_Shdr, Elf64_Phdr).
 */
const PT_INTERP = 3;

function header(file: Uint8Array, what: string): DataView {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = file.length >= 64 && v.getUint32(0, false) === 0x7f454c46;
  // e_ident[EI_CLASS] = ELFCLASS64 (2), e_ident[EI_DATA] = ELFDATA2LSB (1)
  if (!magic || file[4] !== 2 || file[5] !== 1)
    throw new QemuHarnessError("E_BAD_FILE", `${what} is not a 64-bit little-endian ELF file`);
  return v;
}

const u64 = (v: DataView, at: number): number => Number(v.getBigUint64(at, true));

/** The bytes of the section called `name`, or undefined when the file has none. */
export function elfSection(file: Uint8Array, name: string, what: string): Uint8Array | undefined {
  const v = header(file, what);
  const shoff = u64(v, 0x28);
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    if (at + 64 > file.length)
      throw new QemuHarnessError("E_BAD_FILE", `${what}: truncated section table`);
    return { name: v.getUint32(at, true), offset: u64(v, at + 24), size: u64(v, at + 32) };
  };
  const strtab = section(shstrndx);
  const want = new TextEncoder().encode(`${name}\0`);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const at = strtab.offset + s.name;
    const candidate = file.subarray(at, at + want.length);
    if (candidate.length === want.length && candidate.every((b, j) => b === want[j])) {
      if (s.offset + s.size > file.length)
        throw new QemuHarnessError("E_BAD_FILE", `${what}: section ${name} runs past the end`);
      return file.subarray(s.offset, s.offset + s.size);
    }
  }
  return undefined;
}

/** True when the executable asks for a dynamic loader (a PT_INTERP program header). */
export function elfIsDynamic(file: Uint8Array, what: string): boolean {
  const v = header(file, what);
  const phoff = u64(v, 0x20);
  const phentsize = v.getUint16(0x36, true);
  const phnum = v.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    if (v.getUint32(phoff + i * phentsize, true) === PT_INTERP) return true;
  }
  return false;
}
