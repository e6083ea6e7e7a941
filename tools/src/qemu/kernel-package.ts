import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { QemuHarnessError } from "./errors.js";
import { type LoadPlan, moduleIndex, planModuleLoad } from "./modules.js";

/**
 * What the guest needs for virtio-rng with a stock kernel: the PCI transport and the driver
 * (CONFIG_VIRTIO_PCI, CONFIG_HW_RANDOM_VIRTIO). Their dependencies (virtio, virtio_ring, the
 * PCI device helpers) come from the modules' own depends= lines; rng-core (CONFIG_HW_RANDOM)
 * is built into Debian's kernel, and modules.builtin says so.
 */
export const VIRTIO_RNG_MODULES = ["virtio_pci", "rng_core", "virtio_rng"] as const;

/** Debian's metapackage that always depends on the current generic amd64 kernel. */
export const KERNEL_METAPACKAGE = "linux-image-amd64";

export interface DebianKernel {
  /** The binary package, e.g. linux-image-6.1.0-56-amd64. */
  package: string;
  /** Its Debian version, e.g. 6.1.192-2. */
  version: string;
  /** `uname -r` of the kernel, the directory under lib/modules. */
  release: string;
  vmlinuz: string;
  /** lib/modules/<release> of the unpacked subset. */
  moduleDir: string;
  /** The modules to insmod, dependencies first, and those already built in. */
  modules: LoadPlan;
}

/** ~/.cache/vmrng/qemu (XDG_CACHE_HOME honoured; VMRNG_QEMU_CACHE overrides). */
export function defaultCacheDir(): string {
  if (process.env.VMRNG_QEMU_CACHE) return process.env.VMRNG_QEMU_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "vmrng", "qemu");
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    env: { ...process.env, LC_ALL: "C" },
  });
  if (r.error)
    throw new QemuHarnessError(
      "E_APT",
      `cannot run ${cmd}: ${r.error.message} (the QEMU harness needs Debian's apt and dpkg-deb)`,
    );
  if (r.status !== 0)
    throw new QemuHarnessError(
      "E_APT",
      `${cmd} ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`,
    );
  return r.stdout;
}

/** The kernel package the metapackage depends on now, and its candidate version. */
export function resolveKernelPackage(): { package: string; version: string } {
  const deps = run("apt-cache", ["depends", KERNEL_METAPACKAGE]);
  const pkg = /^\s*Depends:\s*(linux-image-\S+)/m.exec(deps)?.[1];
  if (!pkg)
    throw new QemuHarnessError(
      "E_APT",
      `apt-cache knows no dependency of ${KERNEL_METAPACKAGE}: run 'apt-get update' first`,
    );
  const show = run("apt-cache", ["show", "--no-all-versions", pkg]);
  const version = /^Version:\s*(\S+)/m.exec(show)?.[1];
  if (!version) throw new QemuHarnessError("E_APT", `apt-cache show ${pkg} gave no Version`);
  return { package: pkg, version };
}

interface Manifest {
  package: string;
  version: string;
  release: string;
  modules: LoadPlan;
}

const MANIFEST = "kernel.json";

/**
 * Paths inside the .deb that every guest needs: the kernel, the module lists, and the two
 * directories virtio-rng and its transport live in. A dependency elsewhere is extracted on
 * demand (each pass decompresses the whole package, so one pass should find nearly all).
 */
const BASE_MEMBERS = [
  "./boot/vmlinuz-*",
  "./lib/modules/*/modules.order",
  "./lib/modules/*/modules.builtin",
  "./lib/modules/*/kernel/drivers/virtio/*",
  "./lib/modules/*/kernel/drivers/char/hw_random/*",
];

const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Unpacks only `members` (tar wildcards) of a .deb into `dest`, streaming dpkg-deb into tar. */
function extract(deb: string, dest: string, members: string[]): void {
  const pipeline = `set -o pipefail; dpkg-deb --fsys-tarfile ${shellQuote(deb)} | tar -x -C ${shellQuote(dest)} --wildcards ${members.map(shellQuote).join(" ")}`;
  run("bash", ["-c", pipeline]);
}

/**
 * A generic Debian kernel, unpacked (never installed) into the cache: `apt-get download` of
 * the package linux-image-amd64 depends on, then only vmlinuz, modules.order/builtin and the
 * modules virtio-rng needs. A second call finds it in the cache and runs no apt at all if the
 * cache is complete and apt cannot be asked (offline); with apt it follows the current
 * package. VMRNG_KERNEL_DEB=/path/to/linux-image-*.deb uses that file instead of apt.
 */
export function ensureDebianKernel(
  cacheDir = defaultCacheDir(),
  note: (message: string) => void = () => {},
): DebianKernel {
  mkdirSync(cacheDir, { recursive: true });
  const localDeb = process.env.VMRNG_KERNEL_DEB;
  let wanted: { package: string; version: string };
  if (localDeb) {
    const m = /(linux-image-[^_/]+)_([^_]+)_/.exec(localDeb);
    wanted = { package: m?.[1] ?? "linux-image-local", version: m?.[2] ?? "local" };
  } else {
    try {
      wanted = resolveKernelPackage();
    } catch (err) {
      const cached = newestCached(cacheDir);
      if (cached) return cached;
      throw err;
    }
  }
  const dir = join(cacheDir, `${wanted.package}_${wanted.version}`);
  const cached = readCached(dir);
  if (cached) return cached;

  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    let deb = localDeb;
    if (!deb) {
      note(`downloading ${wanted.package} ${wanted.version} (Debian) into ${cacheDir}`);
      run("apt-get", ["download", "-q", `${wanted.package}=${wanted.version}`], { cwd: work });
      const file = readdirSync(work).find((f) => f.endsWith(".deb"));
      if (!file) throw new QemuHarnessError("E_APT", `apt-get download left no .deb in ${work}`);
      deb = join(work, file);
    }
    note(`unpacking vmlinuz and the virtio-rng modules from ${deb}`);
    const root = join(work, "root");
    mkdirSync(root);
    try {
      extract(deb, root, BASE_MEMBERS);
    } catch (err) {
      // A kernel with virtio built in may lack those directories; tar then refuses the
      // wildcards, and the essentials alone (plus on-demand modules) will do.
      if (!(err instanceof QemuHarnessError) || !/Not found in archive/.test(err.message))
        throw err;
      extract(deb, root, BASE_MEMBERS.slice(0, 3));
    }
    const release = readdirSync(join(root, "lib/modules"))[0];
    if (!release) throw new QemuHarnessError("E_KERNEL", `${deb} holds no lib/modules/<release>`);
    const modDir = join(root, "lib/modules", release);
    const order = moduleIndex(readFileSync(join(modDir, "modules.order"), "utf8"));
    const builtin = moduleIndex(readFileSync(join(modDir, "modules.builtin"), "utf8"));
    const modules = planModuleLoad(VIRTIO_RNG_MODULES, order, builtin, (path) => {
      const file = join(modDir, path);
      if (!existsSync(file)) extract(deb!, root, [`./lib/modules/${release}/${path}`]);
      return readModuleFile(file);
    });
    const manifest: Manifest = { ...wanted, release, modules };
    writeFileSync(join(work, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    if (!localDeb) rmSync(deb, { force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  const done = readCached(dir);
  if (!done) throw new QemuHarnessError("E_KERNEL", `the kernel cache ${dir} is incomplete`);
  return done;
}

/** A module's bytes; compressed modules (.ko.xz, .ko.zst in newer Debian) are unpacked. */
export function readModuleFile(file: string): Uint8Array {
  const tool = file.endsWith(".xz") ? "xz" : file.endsWith(".zst") ? "zstd" : null;
  if (tool === null) return new Uint8Array(readFileSync(file));
  const r = spawnSync(tool, ["-dc", file], { maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0)
    throw new QemuHarnessError("E_KERNEL", `cannot decompress ${file} with ${tool}`);
  return new Uint8Array(r.stdout);
}

function readCached(dir: string): DebianKernel | undefined {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  const vmlinuz = join(dir, "root/boot", `vmlinuz-${m.release}`);
  const moduleDir = join(dir, "root/lib/modules", m.release);
  if (!existsSync(vmlinuz) || !m.modules.load.every((x) => existsSync(join(moduleDir, x.path))))
    return undefined;
  return {
    package: m.package,
    version: m.version,
    release: m.release,
    vmlinuz,
    moduleDir,
    modules: m.modules,
  };
}

function newestCached(cacheDir: string): DebianKernel | undefined {
  const dirs = readdirSync(cacheDir)
    .filter((d) => d.startsWith("linux-image-") && !d.includes(".partial-"))
    .sort()
    .reverse();
  for (const d of dirs) {
    const k = readCached(join(cacheDir, d));
    if (k) return k;
  }
  return undefined;
}
