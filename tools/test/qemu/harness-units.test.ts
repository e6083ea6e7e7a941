import { describe, expect, it } from "vitest";
import { buildCpio, S_IFCHR, S_IFDIR, S_IFREG } from "../../src/qemu/cpio.js";
import { elfIsDynamic, elfSection } from "../../src/qemu/elf.js";
import { QemuHarnessError } from "../../src/qemu/errors.js";
import { guestInitScript, KMSG_LOADING, parseGuestLine } from "../../src/qemu/guest-script.js";
import { moduleIndex, moduleName, parseModinfo, planModuleLoad } from "../../src/qemu/modules.js";
import { qemuArgs } from "../../src/qemu/qemu.js";
import { fakeElf, modinfo } from "./fake-elf.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Reads a newc archive back: the fields buffer-format.rst defines, and each entry's data. */
function readCpio(a: Uint8Array) {
  const out: {
    name: string;
    mode: number;
    size: number;
    rmajor: number;
    rminor: number;
    data: string;
  }[] = [];
  let at = 0;
  const pad = (n: number) => (n + 3) & ~3;
  for (;;) {
    const head = text(a.subarray(at, at + 110));
    expect(head.slice(0, 6)).toBe("070701");
    const f = (i: number) => Number.parseInt(head.slice(6 + 8 * i, 14 + 8 * i), 16);
    const namesize = f(11);
    const size = f(6);
    const name = text(a.subarray(at + 110, at + 110 + namesize - 1));
    expect(a[at + 110 + namesize - 1]).toBe(0);
    const dataAt = pad(at + 110 + namesize);
    out.push({
      name,
      mode: f(1),
      size,
      rmajor: f(9),
      rminor: f(10),
      data: text(a.subarray(dataAt, dataAt + size)),
    });
    at = pad(dataAt + size);
    if (name === "TRAILER!!!") break;
  }
  expect(at).toBe(a.length);
  return out;
}

describe("newc cpio", () => {
  it("lays out headers, names and data on 4-byte boundaries, with a trailer", () => {
    const a = buildCpio([
      { path: "dev", mode: S_IFDIR | 0o755 },
      { path: "dev/console", mode: S_IFCHR | 0o600, rdev: { major: 5, minor: 1 } },
      { path: "init", mode: S_IFREG | 0o755, data: new TextEncoder().encode("#!/bin/sh\n") },
    ]);
    expect(text(a.subarray(0, 110))).toBe(
      // magic, ino 1, mode 040755, uid, gid, nlink 2, mtime, size, devmajor/minor, rdev, namesize 4, check
      "07070100000001000041ed0000000000000000000000020000000000000000000000000000000000000000000000000000000400000000",
    );
    expect(readCpio(a)).toEqual([
      { name: "dev", mode: 0o40755, size: 0, rmajor: 0, rminor: 0, data: "" },
      { name: "dev/console", mode: 0o20600, size: 0, rmajor: 5, rminor: 1, data: "" },
      { name: "init", mode: 0o100755, size: 10, rmajor: 0, rminor: 0, data: "#!/bin/sh\n" },
      { name: "TRAILER!!!", mode: 0, size: 0, rmajor: 0, rminor: 0, data: "" },
    ]);
  });
});

describe("ELF reading", () => {
  it("finds a section by name and tells static from dynamic", () => {
    const f = fakeElf({ ".text": new Uint8Array([0x90]), ".modinfo": modinfo({ name: "x" }) });
    expect(text(elfSection(f, ".modinfo", "x.ko")!)).toBe("name=x\0");
    expect(elfSection(f, ".modinf", "x.ko")).toBeUndefined();
    expect(elfIsDynamic(f, "x")).toBe(false);
    expect(elfIsDynamic(fakeElf({}, { interp: true }), "busybox")).toBe(true);
  });

  it("refuses what is not a 64-bit little-endian ELF", () => {
    expect(() =>
      elfSection(new TextEncoder().encode("#!/bin/sh\n".padEnd(80)), ".x", "script"),
    ).toThrow(new QemuHarnessError("E_BAD_FILE", "script is not a 64-bit little-endian ELF file"));
    const big = fakeElf({});
    big[5] = 2; // ELFDATA2MSB
    expect(() => elfIsDynamic(big, "be")).toThrow(/not a 64-bit little-endian ELF/);
  });
});

describe("module load order", () => {
  // The Debian 6.1 relation (depends= lines of the real .ko files).
  const files: Record<string, Record<string, string>> = {
    "kernel/drivers/virtio/virtio_ring.ko": { name: "virtio_ring", depends: "" },
    "kernel/drivers/virtio/virtio.ko": { name: "virtio", depends: "virtio_ring" },
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko": {
      name: "virtio_pci_modern_dev",
      depends: "",
    },
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko": {
      name: "virtio_pci_legacy_dev",
      depends: "",
    },
    "kernel/drivers/virtio/virtio_pci.ko": {
      name: "virtio_pci",
      depends: "virtio_ring,virtio_pci_modern_dev,virtio_pci_legacy_dev,virtio",
    },
    "kernel/drivers/char/hw_random/virtio-rng.ko": {
      name: "virtio_rng",
      depends: "virtio,virtio_ring",
    },
  };
  const order = moduleIndex(Object.keys(files).join("\n"));
  const builtin = moduleIndex("kernel/drivers/char/hw_random/rng-core.ko\nkernel/crypto/rng.ko\n");
  const read = (path: string) => fakeElf({ ".modinfo": modinfo(files[path]!) });

  it("normalises names like kmod: virtio-rng.ko is virtio_rng", () => {
    expect(moduleName("kernel/drivers/char/hw_random/virtio-rng.ko")).toBe("virtio_rng");
    expect(moduleName("foo-bar.ko.xz")).toBe("foo_bar");
    expect(
      parseModinfo(read("kernel/drivers/virtio/virtio_pci.ko"), "virtio_pci.ko").depends,
    ).toEqual(["virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio"]);
  });

  it("loads dependencies first, each once, and skips what is built in", () => {
    const plan = planModuleLoad(["virtio_pci", "rng-core", "virtio-rng"], order, builtin, read);
    expect(plan.load.map((m) => m.name)).toEqual([
      "virtio_ring",
      "virtio_pci_modern_dev",
      "virtio_pci_legacy_dev",
      "virtio",
      "virtio_pci",
      "virtio_rng",
    ]);
    expect(plan.load.at(-1)!.path).toBe("kernel/drivers/char/hw_random/virtio-rng.ko");
    expect(plan.builtin).toEqual(["rng_core"]);
  });

  it("names a missing module and a dependency cycle", () => {
    expect(() => planModuleLoad(["virtio_mmio"], order, builtin, read)).toThrow(
      "module virtio_mmio (needed by the guest) is neither built in nor in modules.order",
    );
    const cyc: Record<string, string> = { "a.ko": "b", "b.ko": "a" };
    expect(() =>
      planModuleLoad(["a"], moduleIndex("a.ko\nb.ko"), new Map(), (p) =>
        fakeElf({ ".modinfo": modinfo({ name: p.slice(0, 1), depends: cyc[p]! }) }),
      ),
    ).toThrow("module dependency cycle: a → b → a");
  });
});

describe("guest /init and its reports", () => {
  it("loads the modules in order, marks the kernel log, and reads in 64-byte records", () => {
    const s = guestInitScript({
      modules: ["virtio_ring", "virtio_rng"],
      readBytes: 4096,
      rounds: 2,
      handshake: true,
      after: "poweroff",
    });
    expect(s.startsWith("#!/bin/busybox sh\n")).toBe(true);
    expect(s).toContain(`echo "${KMSG_LOADING}" > /dev/kmsg`);
    expect(s).toContain("for m in virtio_ring virtio_rng; do");
    expect(s).toContain("dd if=/dev/hwrng of=/tmp/hwrng bs=64 count=64");
    expect(s).toContain("\nread_round 1\nread_round 2\n");
    const multi = guestInitScript({
      modules: [],
      readBytes: 64,
      rounds: 2,
      handshake: false,
      after: "poweroff",
      devices: ["virtio_rng.0", "virtio_rng.1", "virtio_rng.2"],
    });
    // Each round reads every device once, starting one further along.
    expect(multi.match(/^read_round .*$/gm)).toEqual([
      "read_round 1 virtio_rng.0",
      "read_round 1 virtio_rng.1",
      "read_round 1 virtio_rng.2",
      "read_round 2 virtio_rng.1",
      "read_round 2 virtio_rng.2",
      "read_round 2 virtio_rng.0",
    ]);
    expect(s.trimEnd().endsWith("poweroff -f")).toBe(true);
    expect(() =>
      guestInitScript({
        modules: [],
        readBytes: 100,
        rounds: 1,
        handshake: false,
        after: "poweroff",
      }),
    ).toThrow(RangeError);
  });

  it("parses report lines anywhere in a console line", () => {
    expect(parseGuestLine("vmrng-guest: read round=1 bytes=4096 ns=123 irqs=70")).toEqual({
      event: "read",
      fields: { round: "1", bytes: "4096", ns: "123", irqs: "70" },
    });
    expect(parseGuestLine("\u001b[0mvmrng-guest: ready irqs=3")?.fields.irqs).toBe("3");
    expect(parseGuestLine("[    1.9] random: crng init done")).toBeUndefined();
  });
});

describe("QEMU command line", () => {
  const base = { kernel: "/k", initrd: "/i" };
  it("wires virtio-rng-pci to rng-egd over TCP or a Unix socket, or to rng-builtin", () => {
    const tcp = qemuArgs({ ...base, rng: { kind: "egd-tcp", port: 4000 } });
    expect(tcp.join(" ")).toBe(
      "-accel tcg -m 256 -smp 1 -nodefaults -no-user-config -display none -serial stdio -no-reboot " +
        "-kernel /k -initrd /i -append console=ttyS0 loglevel=6 panic=-1 " +
        "-chardev socket,id=egd0,host=127.0.0.1,port=4000,nodelay=on -object rng-egd,id=rng0,chardev=egd0 " +
        "-device virtio-rng-pci,rng=rng0",
    );
    expect(qemuArgs({ ...base, rng: { kind: "egd-unix", path: "/r/egd.sock" } })).toContain(
      "socket,id=egd0,path=/r/egd.sock",
    );
    const builtin = qemuArgs({ ...base, rng: { kind: "builtin" }, accel: "kvm", memoryMb: 128 });
    expect(builtin.slice(0, 4)).toEqual(["-accel", "kvm", "-m", "128"]);
    expect(builtin).toContain("rng-builtin,id=rng0");
    expect(builtin).not.toContain("-chardev");
  });

  it("gives several devices fixed, increasing PCI slots so they probe as virtio_rng.0, .1, …", () => {
    const args = qemuArgs({
      ...base,
      rng: [{ kind: "builtin" }, { kind: "egd-tcp", port: 5 }],
    });
    expect(args.filter((a) => a.startsWith("virtio-rng-pci"))).toEqual([
      "virtio-rng-pci,rng=rng0,addr=0x10",
      "virtio-rng-pci,rng=rng1,addr=0x11",
    ]);
    expect(args).toContain("rng-egd,id=rng1,chardev=egd1");
  });
});
