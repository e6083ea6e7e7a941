import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type NodeChild, spawnNode, stopChild } from "@vmrng/cluster";
import { buildBootImage, DEFAULT_MSR_COMMONHV_RNG, readLoadedImage } from "@vmrng/devices";
import {
  type BootParams,
  createLinkServer,
  type Link,
  type LinkServer,
  TokenRegistry,
} from "@vmrng/wire";

/** What random.c prints when crng_init reaches READY (crng_reseed → "crng init done"). */
const CRNG_READY_LINE = "random: crng init done";

/** The guest script the hypervisor would start (findGuestBinary, as in src/main.ts). */
export const GUEST_DIST = fileURLToPath(new URL("../../guest/dist", import.meta.url));

/**
 * The loader's work for a seeded guest: a zero page whose setup_data list holds one
 * SETUP_RNG_SEED node of 32 bytes (QEMU's RNG_SEED_LENGTH), as the hypervisor hands it over.
 */
function seededBoot(): Omit<BootParams, "id"> {
  const image = buildBootImage({ seed: new Uint8Array(randomBytes(32)) });
  const loaded = readLoadedImage(image);
  return {
    t: "boot.params",
    bootParams: loaded.zeroPage,
    setupData: loaded.setupData,
    // No RDRAND and no virtio-rng: the seed alone makes the CRNG ready, as on a KVM guest
    // booted by a loader that passes SETUP_RNG_SEED on a CPU without RDRAND.
    cpu: {
      cpus: 1,
      rdrand: { mode: "absent" },
      coco: false,
      trustCpu: true,
      trustBootloader: true,
      trustMsr: false,
    },
    devices: {
      virtioRng: { present: false, queueSize: 8 },
      msr: { present: false, index: DEFAULT_MSR_COMMONHV_RNG, writable: false },
      vmgenid: { mode: "off" },
    },
    clockRate: 1,
    irqRate: 0,
  };
}

export interface BootSample {
  /** spawn() → the guest's `random: crng init done` log.line arrived here (ms). */
  readyMs: number;
  /** spawn() → the guest's Link was up (ms): process start, imports, connect, handshake. */
  linkMs: number;
  /** What made the CRNG ready, as the guest reports it (sanity: must be the seed). */
  readySource: string;
}

/**
 * The bench process plays the hypervisor: a LinkServer in the hypervisor role that hands each
 * guest it spawns a seeded boot image and waits for crng READY.
 */
export class BootRace {
  private readonly waiting = new Map<string, { link: (l: Link) => void; ready: () => void }>();
  private n = 0;

  private constructor(
    private readonly server: LinkServer,
    private readonly tokens: TokenRegistry,
  ) {}

  static async start(): Promise<BootRace> {
    const tokens = new TokenRegistry();
    const server = await createLinkServer({ role: "hypervisor", node: "bench-hv", tokens });
    const race = new BootRace(server, tokens);
    // What apps/hypervisor/src/main.ts answers for a guest without the CommonHV MSR device:
    // all-zero CPUID leaves, so the kernel finds no signature at 0x4F000000.
    server.handle("msr.cpuid", () => ({ t: "msr.cpuid.regs", eax: 0, ebx: 0, ecx: 0, edx: 0 }));
    server.on("link", (l) => race.waiting.get(l.peer.node)?.link(l));
    server.handle("log.line", (m, l) => {
      if (m.text === CRNG_READY_LINE) race.waiting.get(l.peer.node)?.ready();
    });
    server.handle("event", () => {});
    return race;
  }

  /**
   * Spawns the real guest binary once, with `env` plus its identity, and times it to READY.
   * `kernel: false` is for the start-up floor (floor.ts), which prints the READY line without
   * a kernel behind it, so there is no ready source to ask for.
   */
  async bootOnce(
    binary: string,
    env: NodeJS.ProcessEnv,
    opts: { kernel: boolean } = { kernel: true },
  ): Promise<BootSample> {
    const id = `boot-${++this.n}`;
    const token = this.tokens.issue({ role: "guest", node: id });
    let linkAt = 0;
    let child: NodeChild | undefined;
    const boot = seededBoot();
    let fail!: (err: Error) => void;
    let timer: NodeJS.Timeout | undefined;
    try {
      const ready = new Promise<{ at: number; link: Link }>((resolve, reject) => {
        fail = reject;
        let link: Link | undefined;
        timer = setTimeout(() => reject(new Error(`${id}: not READY within 10 s`)), 10_000);
        this.waiting.set(id, {
          link: (l) => {
            linkAt = performance.now();
            link = l;
            l.request(boot).catch(reject);
          },
          ready: () => {
            resolve({ at: performance.now(), link: link! });
          },
        });
      });
      const t0 = performance.now();
      child = spawnNode(binary, {
        id,
        env: {
          ...env,
          VMRNG_HV_URL: this.server.url,
          VMRNG_TOKEN: token,
          VMRNG_NODE_ID: id,
        },
      });
      void child.exited.then((code) => fail(new Error(`${id} exited (${code}) before READY`)));
      const { at, link } = await ready;
      if (!opts.kernel) return { readyMs: at - t0, linkMs: linkAt - t0, readySource: "floor" };
      const status = await link.request({ t: "status.get", nodes: [id] });
      const readySource = status.nodes[0]?.crng?.readySource ?? "none";
      // Not a speed check: a guest that became READY from anything but the seed was not the
      // experiment this row describes.
      if (readySource !== "setup_data seed") {
        throw new Error(`${id} became READY from ${readySource}, not from its setup_data seed`);
      }
      return {
        readyMs: at - t0,
        linkMs: linkAt - t0,
        readySource,
      };
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
      if (child) await stopChild(child, 1000);
    }
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

/**
 * The baseline: the same spawn of the same node binary for a script that imports nothing and
 * writes one byte; spawn() → that byte arrives on our end of its stdout pipe (ms).
 */
export async function bareNodeOnce(env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["-e", "process.stdout.write('x')"], {
    stdio: ["pipe", "pipe", "pipe"],
    env,
  });
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", () => resolve());
  });
  const ms = performance.now() - t0;
  await new Promise<void>((r) => {
    if (child.exitCode !== null) r();
    else child.once("exit", () => r());
  });
  return ms;
}
