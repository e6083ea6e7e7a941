/**
 * `pnpm start`: three emulated Linux CRNGs (@vmrng/crng, a model of drivers/char/random.c)
 * booting on virtual clocks, each fed the way a real guest is, printed as kernel log timelines.
 *
 *   seeded     the loader passes a 32-byte setup_data SETUP_RNG_SEED: READY before the kernel
 *              has even parsed its command line
 *   virtio-rng no seed, no RDRAND; the virtio-rng hwrng thread feeds 64-byte reads credited at
 *              quality 1000 (500 bits each), then sleeps one reseed interval
 *   starved    no seed, no hwrng, no RDRAND and no usable cycle counter for jitter entropy: only
 *              a 250 Hz timer interrupt; early /dev/urandom readers warn, getrandom() blocks
 *
 * Then a clone of the seeded guest shows why VM forks need vmgenid. Virtual time runs as fast as
 * the CPU allows; node:crypto plays the host's entropy source. This is a CRNG demo, not the
 * cluster: no hypervisor, devices or sockets are involved.
 */
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { Crng, type CrngEvent, ManualClock, NoArchRandom } from "@vmrng/crng";

export type HostRandom = (n: number) => Uint8Array;

export interface GuestReport {
  name: string;
  story: string;
  /** Kernel-style log lines, `[    0.000000] random: ...`, plus indented demo notes. */
  lines: string[];
  /** Virtual ms at "crng init done", or null if it never came. */
  readyAtMs: number | null;
  entropyAvail: number;
  generation: bigint;
  reseeds: number;
}

/** printk's `[%5lu.%06lu]` timestamp. */
export function stamp(ms: number): string {
  const us = Math.round(ms * 1000);
  const sec = Math.floor(us / 1_000_000);
  return `[${String(sec).padStart(5, " ")}.${String(us % 1_000_000).padStart(6, "0")}]`;
}

const CMDLINE = "console=ttyS0 root=/dev/vda rw";

class Guest {
  readonly clock = new ManualClock();
  readonly crng: Crng;
  readonly lines: string[] = [];
  readyAtMs: number | null = null;
  reseeds = 0;

  constructor(
    readonly name: string,
    readonly story: string,
    opts: { jitter?: boolean } = {},
  ) {
    this.crng = new Crng({
      clock: this.clock,
      arch: new NoArchRandom(),
      cpus: 2,
      workqueuesOnline: false, // early boot: random_init() brings workqueues in
      jitter: { enabled: opts.jitter ?? true },
    });
    this.crng.onEvent((e) => this.onEvent(e));
  }

  private onEvent(e: CrngEvent): void {
    if (e.kind === "crng-reseed") this.reseeds++;
    if (e.kind === "crng-init-done") this.readyAtMs = e.at;
    if (e.printk) this.lines.push(`${stamp(e.at)} ${e.message}`);
  }

  note(text: string): void {
    this.lines.push(`${" ".repeat(15)}· ${text}`);
  }

  /** start_kernel(): setup_arch() [bootloader seed], random_init_early(), later random_init(). */
  bootKernel(seed?: Uint8Array): void {
    if (seed) {
      this.crng.addBootloaderRandomness(seed);
      this.note(
        `setup_data: SETUP_RNG_SEED, ${seed.length} bytes credited by add_bootloader_randomness()`,
      );
    }
    this.crng.randomInitEarly(CMDLINE);
    this.clock.set(20);
    this.crng.randomInit();
  }

  /** A 250 Hz timer interrupt on CPU 0 from `fromMs` to `toMs`. */
  timerInterrupts(fromMs: number, toMs: number, untilReady = false): void {
    for (let t = fromMs; t < toMs; t += 4) {
      this.clock.set(t);
      this.crng.addInterruptRandomness(0, 0, 0xffffffff81000000n + BigInt(t % 4096));
      if (untilReady && this.crng.isReady) return;
    }
  }

  report(): GuestReport {
    return {
      name: this.name,
      story: this.story,
      lines: this.lines,
      readyAtMs: this.readyAtMs,
      entropyAvail: this.crng.entropyAvail,
      generation: this.crng.generation,
      reseeds: this.reseeds,
    };
  }
}

function seededGuest(host: HostRandom, endMs: number): Guest {
  const g = new Guest("seeded", "setup_data SETUP_RNG_SEED (32 bytes) from the loader");
  g.bootKernel(host(32));
  g.timerInterrupts(20, endMs);
  return g;
}

function virtioGuest(host: HostRandom, endMs: number): Guest {
  const g = new Guest("virtio-rng", "virtio-rng through hw_random: 64-byte reads, quality 1000");
  g.bootKernel();
  g.timerInterrupts(20, 350);
  // hwrng_register() -> add_early_randomness(): a 32-byte non-blocking read, credited at the
  // device's quality (bytes * 8 * quality / 1024) through add_hwgenerator_randomness(..., false).
  g.clock.set(350);
  const early = (32 * 8 * 1000) >> 10;
  g.crng.addHwgeneratorRandomness(host(32), early, false);
  g.note(
    `virtio_rng: registered; early 32-byte read, ${early} bits credited (${g.crng.initState})`,
  );
  let next = 351;
  let fed = 0;
  while (next < endMs) {
    g.timerInterrupts(g.clock.now() + 4, next);
    g.clock.set(next);
    // hwrng_fillfn(): credit = bytes * 8 * quality / 1024, then sleep as random.c says.
    const sleep = g.crng.addHwgeneratorRandomness(host(64), (64 * 8 * 1000) >> 10, true);
    if (fed++ < 3) g.note(`hwrng: fed 64 bytes (500 bits credited); sleeping ${sleep / 1000} s`);
    next += Math.max(sleep, 1);
  }
  return g;
}

async function starvedGuest(endMs: number): Promise<Guest> {
  const g = new Guest("starved", "a 250 Hz timer interrupt and nothing else", { jitter: false });
  g.bootKernel();
  let unblocked = false;
  const keygen = g.crng.getrandomAsync(32).then(() => {
    unblocked = true;
  });
  g.note("sshd-keygen: getrandom(32, 0) blocks in wait_for_random_bytes()");
  for (let i = 0; i < 5; i++) g.crng.readUrandom(16, { comm: "systemd-udevd" }); // a udev burst
  for (let t = 20; t < endMs; t += 1000) {
    // Half a second of interrupts, a urandom read for the first few seconds, the other half.
    for (const [from, to] of [
      [t, t + 500],
      [t + 500, t + 1000],
    ] as const) {
      if (from === t + 500 && from < 6000) {
        g.clock.set(from);
        g.crng.readUrandom(512, { comm: "systemd-random-seed" });
      }
      g.timerInterrupts(from, to, !unblocked);
      if (g.crng.isReady && !unblocked) {
        await keygen;
        g.note(`sshd-keygen: getrandom() returns at ${(g.clock.now() / 1000).toFixed(3)} s`);
        g.timerInterrupts(g.clock.now() + 4, to);
      }
    }
  }
  return g;
}

export interface CloneReport {
  withoutVmgenid: boolean;
  withVmgenid: boolean;
}

/** Snapshot a READY guest, restore two clones; with no vmgenid they repeat each other. */
function cloneScene(host: HostRandom): CloneReport {
  const parent = new Guest("parent", "");
  parent.bootKernel(host(32));
  const snap = parent.crng.serialize();
  const restoreTwin = () => {
    const clock = new ManualClock(parent.clock.now());
    return Crng.restore(snap, { clock, arch: new NoArchRandom(1000n, 0n) });
  };
  const same = (a: Crng, b: Crng) =>
    Buffer.from(a.getrandom(32)).equals(Buffer.from(b.getrandom(32)));
  const [a, b] = [restoreTwin(), restoreTwin()];
  const withoutVmgenid = same(a, b);
  const [c, d] = [restoreTwin(), restoreTwin()];
  c.addVmforkRandomness(host(16)); // each clone's vmgenid driver sees its own new 16-byte id
  d.addVmforkRandomness(host(16));
  return { withoutVmgenid, withVmgenid: same(c, d) };
}

export interface DemoResult {
  guests: GuestReport[];
  clone: CloneReport;
}

export async function runDemo(
  host: HostRandom = (n) => new Uint8Array(randomBytes(n)),
): Promise<DemoResult> {
  const endMs = 130_000;
  const guests = [seededGuest(host, endMs), virtioGuest(host, endMs), await starvedGuest(endMs)];
  return { guests: guests.map((g) => g.report()), clone: cloneScene(host) };
}

export function render(result: DemoResult): string {
  const out: string[] = [];
  for (const g of result.guests) {
    out.push(`== guest "${g.name}": ${g.story} ==`);
    out.push(...g.lines);
    out.push("");
  }
  out.push("guest        crng init done   entropy_avail  base generation  reseeds (to 130 s)");
  for (const g of result.guests) {
    const ready = g.readyAtMs === null ? "never" : `${(g.readyAtMs / 1000).toFixed(6)} s`;
    out.push(
      `${g.name.padEnd(12)} ${ready.padStart(14)}   ${String(g.entropyAvail).padStart(13)}  ${String(g.generation).padStart(15)}  ${String(g.reseeds).padStart(7)}`,
    );
  }
  out.push("");
  out.push("clone of a READY guest, restored twice from one snapshot:");
  out.push(
    `  no vmgenid notify:   the clones' first getrandom(32) ${result.clone.withoutVmgenid ? "is IDENTICAL" : "differs"}`,
  );
  out.push(
    `  add_vmfork_randomness(new id) in each: ${result.clone.withVmgenid ? "still identical (!)" : "they differ"}`,
  );
  return out.join("\n");
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const result = await runDemo();
  console.log(render(result));
  console.log(
    `\n(${((performance.now() - t0) / 1000).toFixed(2)} s of wall time for 3 x 130 s of virtual boot)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
