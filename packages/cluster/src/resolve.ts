import { ClusterFileError } from "./errors.js";
import {
  type ClusterSpec,
  DEFAULT_GUEST,
  type EgdSpec,
  type GuestSpec,
  USERSPACE_DEFAULTS,
  type UserspaceProgramSpec,
} from "./resolved.js";
import type {
  ClusterFile,
  EgdSettings,
  GuestSettings,
  UserspaceProgramSettings,
} from "./schema.js";

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge of settings objects: later layers win field by field; arrays and scalars replace. */
export function mergeSettings<T>(base: T, ...layers: (GuestSettings | undefined)[]): T {
  let out: unknown = structuredClone(base);
  for (const layer of layers) if (layer) out = mergeInto(out, layer);
  return out as T;
}

function mergeInto(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return structuredClone(over);
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = k in out ? mergeInto(out[k], v) : structuredClone(v);
  return out;
}

/**
 * A CoCo guest panics in cc_random_init when RDRAND cannot give 256 bits (arch/x86/coco/core.c).
 * A stuck RDRAND (all ones, CF=1) passes that check: only the later self-test catches it.
 */
function defaultExpect(g: Omit<GuestSpec, "expect">): GuestSpec["expect"] {
  return g.coco && (g.rdrand.mode === "absent" || g.rdrand.mode === "fail") ? "panic" : "ready";
}

/** Each program's unset fields from USERSPACE_DEFAULTS. */
export function resolveUserspace(
  list: readonly UserspaceProgramSettings[] | undefined,
): UserspaceProgramSpec[] {
  return (list ?? []).map((p) =>
    p.program === "wireguard"
      ? { ...USERSPACE_DEFAULTS.wireguard, ...p }
      : { ...USERSPACE_DEFAULTS["getrandom-load"], ...p },
  );
}

/** The host's EGD server: off unless enabled; a free port; no limit; 64 clients. */
export function resolveEgd(egd: EgdSettings | undefined): EgdSpec {
  return {
    enabled: egd?.enabled ?? false,
    port: egd?.port ?? 0,
    ...(egd?.socketPath === undefined ? {} : { socketPath: egd.socketPath }),
    rateLimit: structuredClone(egd?.rateLimit ?? {}),
    maxClients: egd?.maxClients ?? 64,
  };
}

/** Fills defaults and checks what the schema cannot: unique ids, virtqueue sizes. */
export function resolveCluster(
  file: ClusterFile,
  name: string,
  lineOf: (path: string) => number | undefined = () => undefined,
): ClusterSpec {
  const fail = (path: string, expected: string): never => {
    throw new ClusterFileError(name, path, expected, lineOf(path));
  };
  const seen = new Map<string, string>();
  const claim = (id: string, path: string): void => {
    const prior = seen.get(id);
    if (prior)
      fail(path, `node id "${id}" is already used at ${prior}; ids are unique across the cluster`);
    seen.set(id, path);
  };

  const hypervisors = file.hypervisors.map((hv, h) => {
    claim(hv.id, `/hypervisors/${h}/id`);
    const guests = hv.guests.map((g, i) => {
      const path = `/hypervisors/${h}/guests/${i}`;
      claim(g.id, `${path}/id`);
      const { id, expect, ...settings } = g;
      const merged = mergeSettings(DEFAULT_GUEST, file.defaults, hv.defaults, settings);
      const q = merged.virtioRng.queueSize;
      // Split virtqueues must have a power-of-two size (virtio 1.x spec, 2.7 "Split Virtqueues").
      if ((q & (q - 1)) !== 0)
        fail(`${path}/virtioRng/queueSize`, `expected a power of two (got ${q})`);
      const spec = {
        ...merged,
        userspace: resolveUserspace(merged.userspace),
        id,
        hypervisor: hv.id,
      };
      const fromDefaults = file.defaults?.expect ?? hv.defaults?.expect;
      return { ...spec, expect: expect ?? fromDefaults ?? defaultExpect(spec) } satisfies GuestSpec;
    });
    return { id: hv.id, guests };
  });

  return {
    version: 1,
    name: file.name ?? "vmrng",
    host: { egd: resolveEgd(file.host?.egd) },
    hypervisors,
  };
}
