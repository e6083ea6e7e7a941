import { fileURLToPath } from "node:url";
import { type NodeChild, spawnNode, stopChild } from "@vmrng/cluster";
import {
  buildBootImage,
  COMMONHV_FEATURE_RNG,
  COMMONHV_LEAF_BASE,
  COMMONHV_LEAF_FEATURES,
  COMMONHV_LEAF_RNG,
  COMMONHV_MAX_LEAF,
  COMMONHV_SIG_EBX,
  COMMONHV_SIG_ECX,
  COMMONHV_SIG_EDX,
  DEFAULT_MSR_COMMONHV_RNG,
  readLoadedImage,
} from "@vmrng/devices";
import {
  type BootParams,
  createLinkServer,
  type Event,
  type Link,
  type LinkServer,
  TokenRegistry,
} from "@vmrng/wire";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The real guest binary against a hypervisor that lies. The test plays that hypervisor over the
 * real wire (a LinkServer with the hypervisor role), so every byte the guest sees is hostile.
 */
const GUEST_MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const CONSTANT_SEED = new Uint8Array(32).fill(0x5a);
const CONSTANT_MSR = 0x4141_4141_4141_4141n;

type VirtioAnswer = (link: Link, desc: number, len: number) => void;

class HostileHypervisor {
  readonly tokens = new TokenRegistry();
  readonly events = new Map<string, Event[]>();
  readonly children: NodeChild[] = [];
  private constructor(
    readonly server: LinkServer,
    public onVirtio: VirtioAnswer,
  ) {}

  static async start(onVirtio: VirtioAnswer): Promise<HostileHypervisor> {
    const tokens = new TokenRegistry();
    const server = await createLinkServer({ role: "hypervisor", node: "evil-hv", tokens });
    const h = new HostileHypervisor(server, onVirtio);
    (h as { tokens: TokenRegistry }).tokens = tokens;
    const log = (node: string, e: Event): void => {
      if (!h.events.has(node)) h.events.set(node, []);
      h.events.get(node)!.push(e);
    };
    server.handle("virtio.avail", (m, link) => h.onVirtio(link, m.desc, m.len));
    server.handle("msr.cpuid", (m) => {
      const r = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
      if (m.leaf === COMMONHV_LEAF_BASE) {
        Object.assign(r, {
          eax: COMMONHV_MAX_LEAF,
          ebx: COMMONHV_SIG_EBX,
          ecx: COMMONHV_SIG_ECX,
          edx: COMMONHV_SIG_EDX,
        });
      }
      if (m.leaf === COMMONHV_LEAF_FEATURES) r.eax = COMMONHV_FEATURE_RNG;
      if (m.leaf === COMMONHV_LEAF_RNG) r.eax = DEFAULT_MSR_COMMONHV_RNG;
      return { t: "msr.cpuid.regs", ...r };
    });
    server.handle("msr.rdmsr", (m) => ({ t: "msr.value", index: m.index, value: CONSTANT_MSR }));
    server.handle("msr.wrmsr", (m) => ({ t: "msr.gp", index: m.index }));
    server.handle("vmgenid.read", () => ({ t: "vmgenid.id", vmgenid: new Uint8Array(16).fill(7) }));
    server.handle("event", (m, link) => log(link.peer.node, m));
    server.handle("log.line", (m, link) =>
      log(link.peer.node, {
        t: "event",
        node: m.node,
        vtimeMs: m.vtimeMs,
        kind: "log",
        level: "info",
        message: m.text,
      }),
    );
    return h;
  }

  /** Spawns the real guest binary and hands it `boot` once it connects; resolves with its Link. */
  spawnGuest(id: string, boot: Omit<BootParams, "id">): Promise<Link> {
    const linked = new Promise<Link>((resolve, reject) => {
      const onLink = (l: Link): void => {
        if (l.peer.node !== id) return;
        this.server.off("link", onLink);
        l.request(boot).then(() => resolve(l), reject);
      };
      this.server.on("link", onLink);
    });
    this.children.push(
      spawnNode(GUEST_MAIN, {
        id,
        env: {
          ...process.env,
          VMRNG_HV_URL: this.server.url,
          VMRNG_TOKEN: this.tokens.issue({ role: "guest", node: id }),
          VMRNG_NODE_ID: id,
        },
      }),
    );
    return linked;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => stopChild(c, 1000)));
    await this.server.close();
  }
}

function hostileBoot(coco: boolean): Omit<BootParams, "id"> {
  const image = buildBootImage({ seed: CONSTANT_SEED });
  const loaded = readLoadedImage(image);
  return {
    t: "boot.params",
    bootParams: loaded.zeroPage,
    setupData: loaded.setupData,
    cpu: {
      cpus: 1,
      rdrand: { mode: "ok" },
      coco,
      trustCpu: true,
      trustBootloader: true,
      trustMsr: true,
    },
    devices: {
      virtioRng: { present: true, queueSize: 8 },
      msr: { present: true, index: DEFAULT_MSR_COMMONHV_RNG, writable: false },
      vmgenid: { mode: "notify" },
    },
    clockRate: 1,
    irqRate: 0,
  };
}

const statusOf = async (link: Link, id: string) =>
  (await link.request({ t: "status.get", nodes: [id] })).nodes[0]!;

async function waitReady(link: Link, id: string) {
  for (let i = 0; i < 400; i++) {
    const s = await statusOf(link, id);
    if (s.crng?.init === "READY") return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  const s = await statusOf(link, id);
  throw new Error(
    `${id} never became READY: ${JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
  );
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

let hv: HostileHypervisor | undefined;
afterEach(async () => {
  await hv?.stop();
  hv = undefined;
});

describe("a CoCo guest under a hostile hypervisor", () => {
  it("boots from RDRAND alone (constant seed, zero-filled virtio-rng, constant MSR); two such guests never agree", async () => {
    hv = await HostileHypervisor.start((link, desc, len) =>
      link.send({ t: "virtio.used", desc, data: new Uint8Array(len) }),
    );
    const [a, b] = await Promise.all([
      hv.spawnGuest("coco-a", hostileBoot(true)),
      hv.spawnGuest("coco-b", hostileBoot(true)),
    ]);
    const [sa, sb] = await Promise.all([waitReady(a, "coco-a"), waitReady(b, "coco-b")]);
    // Nothing the hypervisor sent was credited: readiness came from RDRAND in random_init_early.
    expect(sa.crng?.readySource).toBe("RDRAND (random_init_early)");
    expect(sb.crng?.readySource).toBe("RDRAND (random_init_early)");
    expect(sa.channels.find((c) => c.channel === "setup_data")?.bytes).toBe(32n);
    // The zero-filled virtio-rng buffers did arrive, and were not what made it READY.
    for (let i = 0; i < 100; i++) {
      const v = (await statusOf(a, "coco-a")).channels.find((c) => c.channel === "virtio-rng");
      if ((v?.bytes ?? 0n) > 0n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const v = (await statusOf(a, "coco-a")).channels.find((c) => c.channel === "virtio-rng");
    expect(v?.bytes ?? 0n).toBeGreaterThan(0n);

    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      for (const [link, id] of [
        [a, "coco-a"],
        [b, "coco-b"],
      ] as const) {
        const r = await link.request({ t: "rng.getrandom", vm: id, len: 32, flags: 0 });
        if (r.t !== "rng.data") throw new Error(`${id}: ${r.errno}`);
        expect(seen.has(hex(r.data))).toBe(false);
        seen.add(hex(r.data));
      }
    }
    expect(seen.size).toBe(100);
  });

  it("the same hostile inputs make a non-CoCo guest trust the seed: READY at once from setup_data", async () => {
    hv = await HostileHypervisor.start((link, desc, len) =>
      link.send({ t: "virtio.used", desc, data: new Uint8Array(len) }),
    );
    const link = await hv.spawnGuest("trusting", hostileBoot(false));
    const s = await waitReady(link, "trusting");
    // The contrast that makes the CoCo test meaningful: a normal guest credits the loader's seed.
    expect(s.crng?.readySource).toBe("setup_data seed");
  });
});

describe("malformed device answers", () => {
  it("are logged as driver errors; the guest keeps running and serving", async () => {
    let n = 0;
    hv = await HostileHypervisor.start((link, desc, len) => {
      n += 1;
      const used = (id: number, bytes: number, fill: number): void =>
        link.send({ t: "virtio.used", desc: id, data: new Uint8Array(bytes).fill(fill) });
      if (n === 1) {
        // A descriptor the driver never posted, then the real answer: Linux waits for its own
        // buffer forever, so a device that never answered it would stall hw_random (faithful).
        used((desc + 3) % 8, len, 1);
        used(desc, len, 6);
      } else if (n === 2) {
        used(desc, len + 64, 2); // longer than offered: clamped by the driver
      } else if (n === 3) {
        used(desc, len, 3);
        used(desc, len, 4); // the same descriptor twice
      } else {
        setTimeout(() => link.state === "open" && used(desc, len, 5), 20); // late but valid
      }
    });
    const boot = hostileBoot(false);
    boot.setupData = []; // no seed: the guest depends on the lying device
    boot.cpu.rdrand = { mode: "absent" };
    const link = await hv.spawnGuest("victim", boot);
    await waitReady(link, "victim").catch((e: Error) => {
      const lines = (hv?.events.get("victim") ?? []).map((ev) => `${ev.kind}: ${ev.message}`);
      throw new Error(`${e.message}\n${lines.join("\n")}`);
    });
    // Once READY, the hwrng kthread sleeps crng_reseed_interval() (>= 1 s) between reads, so
    // the third answer comes about two seconds in.
    const virtioErrors = () =>
      (hv?.events.get("victim") ?? []).filter(
        (e) =>
          e.kind === "driver-error" && (e.data as { channel?: string })?.channel === "virtio-rng",
      );
    const codes = new Set<string>();
    for (let i = 0; i < 400 && codes.size < 3; i++) {
      for (const e of virtioErrors()) codes.add(String((e.data as { code?: string }).code));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(codes).toContain("unknown-descriptor");
    expect(codes).toContain("used-len-overflow");
    expect(codes).toContain("duplicate-used");
    const r = await link.request({ t: "rng.getrandom", vm: "victim", len: 32, flags: 0 });
    expect(r.t).toBe("rng.data");
    const s = await statusOf(link, "victim");
    expect(s.channels.find((c) => c.channel === "virtio-rng")?.errors ?? 0n).toBeGreaterThanOrEqual(
      3n,
    );
    expect(hv.children[0]!.proc.exitCode).toBeNull();
  });
});
