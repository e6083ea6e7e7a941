import { elfSection } from "./elf.js";
import { QemuHarnessError } from "./errors.js";

/**
 * Kernel modules the guest must load, in an order that satisfies their dependencies. The
 * Debian package ships no modules.dep (depmod runs at install); the same relation is in every
 * module's own `.modinfo` section (`depends=a,b`, written by modpost), and modules.builtin
 * names what is compiled in and needs no loading.
 */

/** Module names treat '-' and '_' alike (kmod's modname normalisation). */
export const moduleName = (pathOrName: string): string =>
  (pathOrName.split("/").pop() ?? pathOrName)
    .replace(/\.ko(\.xz|\.zst|\.gz)?$/, "")
    .replaceAll("-", "_");

export interface ModInfo {
  name: string;
  depends: string[];
}

/** `.modinfo` is NUL-separated `key=value` strings. */
export function parseModinfo(ko: Uint8Array, what: string): ModInfo {
  const section = elfSection(ko, ".modinfo", what);
  if (!section) throw new QemuHarnessError("E_BAD_FILE", `${what} has no .modinfo section`);
  const fields = new TextDecoder().decode(section).split("\0");
  const get = (key: string) => fields.find((f) => f.startsWith(`${key}=`))?.slice(key.length + 1);
  const name = get("name") ?? moduleName(what);
  const deps = get("depends") ?? "";
  return { name: moduleName(name), depends: deps ? deps.split(",").map(moduleName) : [] };
}

/** Lines of modules.order / modules.builtin: `kernel/drivers/…/x.ko` → name → path. */
export function moduleIndex(listing: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of listing.split("\n")) {
    const path = line.trim();
    if (path) out.set(moduleName(path), path);
  }
  return out;
}

export interface LoadPlan {
  /** Modules to insmod, dependencies first: [name, path relative to lib/modules/<ver>]. */
  load: { name: string; path: string }[];
  /** Wanted modules (or their dependencies) that are built into the kernel. */
  builtin: string[];
}

/**
 * Resolves `wanted` and everything it depends on. `readModule(path)` returns a module file's
 * bytes (the caller may extract it on demand).
 */
export function planModuleLoad(
  wanted: readonly string[],
  order: Map<string, string>,
  builtin: Map<string, string>,
  readModule: (path: string) => Uint8Array,
): LoadPlan {
  const load: { name: string; path: string }[] = [];
  const builtins: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (raw: string, chain: string[]): void => {
    const name = moduleName(raw);
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting")
      throw new QemuHarnessError(
        "E_KERNEL",
        `module dependency cycle: ${[...chain, name].join(" → ")}`,
      );
    if (builtin.has(name)) {
      state.set(name, "done");
      builtins.push(name);
      return;
    }
    const path = order.get(name);
    if (path === undefined)
      throw new QemuHarnessError(
        "E_KERNEL",
        `module ${name} (needed by ${chain.join(" → ") || "the guest"}) is neither built in nor in modules.order`,
      );
    state.set(name, "visiting");
    const info = parseModinfo(readModule(path), path);
    for (const dep of info.depends) visit(dep, [...chain, name]);
    state.set(name, "done");
    load.push({ name, path });
  };
  for (const w of wanted) visit(w, []);
  return { load, builtin: builtins };
}
