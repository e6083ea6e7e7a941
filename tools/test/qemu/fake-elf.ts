/**
 * A minimal ELF64 little-endian file with named sections and, optionally, a PT_INTERP program
 * header: the layout elf.ts reads (Elf64_Ehdr 64 bytes, Elf64_Phdr 56, Elf64_Shdr 64).
 */
export function fakeElf(
  sections: Record<string, Uint8Array>,
  opts: { interp?: boolean } = {},
): Uint8Array {
  const names = ["", ".shstrtab", ...Object.keys(sections)];
  const enc = new TextEncoder();
  const strtab = enc.encode(`${names.join("\0")}\0`);
  const nameOffsets = names.map((_, i) => names.slice(0, i).reduce((n, s) => n + s.length + 1, 0));
  const bodies = [new Uint8Array(0), strtab, ...Object.values(sections)];
  const phnum = opts.interp ? 1 : 0;
  let at = 64 + phnum * 56;
  const offsets = bodies.map((b) => {
    const o = at;
    at += b.length;
    return o;
  });
  const shoff = at;
  const out = new Uint8Array(shoff + names.length * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setBigUint64(0x20, phnum ? 64n : 0n, true); // e_phoff
  v.setBigUint64(0x28, BigInt(shoff), true); // e_shoff
  v.setUint16(0x36, 56, true); // e_phentsize
  v.setUint16(0x38, phnum, true); // e_phnum
  v.setUint16(0x3a, 64, true); // e_shentsize
  v.setUint16(0x3c, names.length, true); // e_shnum
  v.setUint16(0x3e, 1, true); // e_shstrndx
  if (opts.interp) v.setUint32(64, 3, true); // p_type = PT_INTERP
  bodies.forEach((b, i) => {
    out.set(b, offsets[i]!);
    const sh = shoff + i * 64;
    v.setUint32(sh, nameOffsets[i]!, true);
    v.setBigUint64(sh + 24, BigInt(offsets[i]!), true);
    v.setBigUint64(sh + 32, BigInt(b.length), true);
  });
  return out;
}

/** A kernel module's .modinfo section: NUL-terminated key=value strings. */
export const modinfo = (fields: Record<string, string>): Uint8Array =>
  new TextEncoder().encode(
    Object.entries(fields)
      .map(([k, val]) => `${k}=${val}\0`)
      .join(""),
  );
