/**
 * The "newc" cpio format the kernel unpacks as an initramfs (Documentation/driver-api/
 * early-userspace/buffer-format.rst): per entry a 110-byte ASCII header ("070701" and 13
 * eight-digit hex fields), the NUL-terminated name, padding to 4 bytes, the data, padding to
 * 4 bytes; the archive ends with an entry named "TRAILER!!!".
 */
export interface CpioEntry {
  /** Path inside the archive, without a leading slash. */
  path: string;
  /** st_mode: file type bits and permissions, e.g. 0o100755, 0o040755, 0o020600, 0o120777. */
  mode: number;
  data?: Uint8Array;
  /** Device number of a character or block device node. */
  rdev?: { major: number; minor: number };
}

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFLNK = 0o120000;

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

export function buildCpio(entries: readonly CpioEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let ino = 1;
  const push = (e: CpioEntry): void => {
    const name = enc.encode(`${e.path}\0`);
    const data = e.data ?? new Uint8Array(0);
    const fields = [
      ino++,
      e.mode,
      0, // uid
      0, // gid
      (e.mode & S_IFDIR) === S_IFDIR ? 2 : 1, // nlink
      0, // mtime: fixed, so the same inputs give the same archive
      data.length,
      0, // devmajor
      0, // devminor
      e.rdev?.major ?? 0,
      e.rdev?.minor ?? 0,
      name.length,
      0, // check (unused by newc)
    ];
    const head = enc.encode(`070701${fields.map(hex8).join("")}`);
    parts.push(
      head,
      name,
      new Uint8Array(pad4(head.length + name.length)),
      data,
      new Uint8Array(pad4(data.length)),
    );
  };
  for (const e of entries) push(e);
  push({ path: "TRAILER!!!", mode: 0 });
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
