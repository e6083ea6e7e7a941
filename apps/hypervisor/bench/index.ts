/**
 * Suite "devices": entropy delivery between real processes, against bare baselines measured in
 * the same run.
 *
 *  1. virtio-rng 64-byte request round trip, guest ⇄ hypervisor: this process is the guest, a
 *     child process runs the hypervisor's device path (bench/device-server.ts: LinkServer →
 *     GuestSession.onVirtioAvail → VirtioRngDevice post/kick → `virtio.used`).
 *  2. 64 KiB bulk throughput through a Firecracker-size queue (256 descriptors, no limiter).
 *  3. spawn → crng READY of the real guest binary given a SETUP_RNG_SEED, this process playing
 *     the hypervisor, against spawn → first byte of a bare `node -e`; beside it the start-up
 *     floor (bench/floor.ts): what any guest on this stack pays before its own code runs.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { type BenchRow, percentile, ratioRow, writeSuite } from "@vmrng/benchkit";
import { VIRTIO_RNG_MAX_BUF } from "@vmrng/wire";
import { findGuestBinary } from "../src/guest-binary.js";
import { BULK_GUEST, RTT_GUEST } from "./bare-protocol.js";
import { BootRace, bareNodeOnce, GUEST_DIST } from "./boot-race.js";
import { startDeviceServer } from "./device-server-client.js";
import { buildFloors } from "./floor.js";
import { bareGuest, bulk, linkGuest, roundTrips, type VirtioGuest } from "./virtio-guests.js";

const median = (xs: number[]): number => percentile(xs, 50);
/** hw_random reads rng_buffer_size() = max(32, SMP_CACHE_BYTES) bytes: 64 on x86
 * (drivers/char/hw_random/core.c). */
const HWRNG_READ = 64;
const QEMU_QUEUE = 8;
const FIRECRACKER_QUEUE = 256;
/** Interleaved spawn → READY rounds (after two warm-up rounds): start-up times here are noisy. */
const BOOT_ROUNDS = 21;

async function virtioRows(): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const { child, ports } = await startDeviceServer();
  try {
    const url = `ws://127.0.0.1:${ports.link}/`;
    const link = await linkGuest(url, ports.tokens[RTT_GUEST]!, RTT_GUEST);
    const bare = await bareGuest(ports.bare, "bare");

    // Round trips, one 64-byte request at a time; the sides alternate request by request so
    // scheduling drift on a shared machine hits both alike.
    await roundTrips(link, 2000, HWRNG_READ, QEMU_QUEUE, []);
    await roundTrips(bare, 2000, HWRNG_READ, QEMU_QUEUE, []);
    const rtt = { link: [] as number[], bare: [] as number[] };
    for (let i = 0; i < 10_000; i++) {
      const order: [VirtioGuest, number[]][] = [
        [link, rtt.link],
        [bare, rtt.bare],
      ];
      if (i % 2 === 1) order.reverse();
      for (const [g, into] of order) await roundTrips(g, 1, HWRNG_READ, QEMU_QUEUE, into);
    }
    await link.close();
    await bare.close();

    // Bulk: every descriptor of a 256-entry queue kept available with 64 KiB; rounds rotate
    // the sides, the median round is reported.
    const sides: Record<"link" | "bare" | "crypto", VirtioGuest> = {
      link: await linkGuest(url, ports.tokens[BULK_GUEST]!, BULK_GUEST),
      bare: await bareGuest(ports.bare, "bare-bulk"),
      crypto: await bareGuest(ports.bareCrypto, "bare-crypto"),
    };
    const mbs = { link: [] as number[], bare: [] as number[], crypto: [] as number[] };
    const names = ["link", "bare", "crypto"] as const;
    // A round whose buffers stop coming back is reported, not fatal: GuestSession drops a used
    // buffer when the guest's Link refuses it under backpressure, and the queue then stalls.
    const stalls: string[] = [];
    const round = async (n: (typeof names)[number], buffers: number): Promise<number | null> => {
      try {
        return await bulk(sides[n], buffers, VIRTIO_RNG_MAX_BUF, FIRECRACKER_QUEUE, 3000);
      } catch (err) {
        stalls.push((err as Error).message);
        // The lost descriptors are gone for good on this connection: start over on a new one.
        await sides[n].close();
        sides[n] =
          n === "link"
            ? await linkGuest(url, ports.tokens[BULK_GUEST]!, BULK_GUEST)
            : await bareGuest(n === "bare" ? ports.bare : ports.bareCrypto, `bare-${n}`);
        return null;
      }
    };
    for (const n of names) await round(n, 512);
    for (let r = 0; r < 9; r++) {
      for (let k = 0; k < 3; k++) {
        const n = names[(r + k) % 3]!;
        const v = await round(n, 768);
        if (v !== null) mbs[n].push(v);
      }
    }
    for (const n of names) await sides[n].close();

    const rows = [
      ratioRow(
        "virtio-rng 64 B request, p50",
        "µs",
        percentile(rtt.link, 50),
        percentile(rtt.bare, 50),
        "<= 1.5x",
      ),
      ratioRow(
        "virtio-rng 64 B request, p99",
        "µs",
        percentile(rtt.link, 99),
        percentile(rtt.bare, 99),
      ),
      ratioRow(
        "virtio-rng 64 KiB bulk, queue 256",
        "MB/s",
        median(mbs.link),
        median(mbs.bare),
        ">= 0.8x",
      ),
      ratioRow(
        "  same, baseline filled by node:crypto",
        "MB/s",
        median(mbs.link),
        median(mbs.crypto),
      ),
    ];
    const notes = [
      `virtio-rng 64 B: this process as the guest posts one 64-byte descriptor (QEMU queue of ${QEMU_QUEUE}) as virtio.avail on a guest Link; a child hypervisor process answers through GuestSession.onVirtioAvail (VirtioRngDevice post + kick, bytes from HostEntropy's ChaCha DRBG) with virtio.used. Baseline: bare ws + msgpackr to the same child, answered with 64 bytes of a ChaCha DRBG. 10,000 alternating round trips after 2,000 warm-up each.`,
      `64 KiB bulk: all ${FIRECRACKER_QUEUE} descriptors of a Firecracker-size queue (no rate limiter) kept available with ${VIRTIO_RNG_MAX_BUF}-byte buffers, each used buffer re-posted at once; 768 buffers per round, 9 rotating rounds, median. Baseline: bare ws + msgpackr moving the same buffers the same way, filled by a ChaCha DRBG as the device's are.`,
      "  same, node:crypto: the baseline server fills its buffers with randomBytes (OpenSSL) instead: the gap is mostly the JavaScript ChaCha20 of @noble/ciphers that the hypervisor's DRBG runs on.",
      ...stalls.map((m) => `  STALLED round (not counted): ${m}`),
    ];
    return { rows, notes };
  } finally {
    await stopChild(child);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.stdin?.end();
  await once(child, "exit");
}

async function bootRows(): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const chosen = findGuestBinary(GUEST_DIST);
  // Environment both kinds of process get. NODE_EXTRA_CA_CERTS makes every node start parse a
  // CA bundle (tens of ms on this kind of machine) that a guest never uses; it would flatter
  // the ratio, so the headline rows run without it and one row shows the inherited environment.
  const inherited = { ...process.env };
  const clean = { ...process.env };
  delete clean.NODE_EXTRA_CA_CERTS;
  const variants: { key: string; script: string; env: NodeJS.ProcessEnv; kernel?: false }[] = [
    { key: "chosen", script: chosen.script, env: clean },
  ];
  const floors = chosen.kind === "bundle" ? buildFloors() : undefined;
  if (floors) {
    variants.push({ key: "floor", script: floors.bare, env: clean, kernel: false });
    variants.push({ key: "floorWire", script: floors.withWire, env: clean, kernel: false });
    variants.push({ key: "nocache", script: join(GUEST_DIST, "guest.bundle.cjs"), env: clean });
    variants.push({ key: "modules", script: join(GUEST_DIST, "main.js"), env: clean });
  }
  const withCa = inherited.NODE_EXTRA_CA_CERTS !== undefined;
  if (withCa) variants.push({ key: "inherited", script: chosen.script, env: inherited });

  const race = await BootRace.start();
  try {
    // Warm-up: the first start of the bundle writes the code cache every later guest reads.
    for (let i = 0; i < 2; i++) {
      for (const v of variants) await race.bootOnce(v.script, v.env, { kernel: v.kernel ?? true });
      await bareNodeOnce(clean);
      if (withCa) await bareNodeOnce(inherited);
    }
    const ready = new Map<string, number[]>(variants.map((v) => [v.key, []]));
    const link: number[] = [];
    const bare = { clean: [] as number[], inherited: [] as number[] };
    // One step per variant and per bare baseline. Each round starts one step later than the
    // one before, so no kind of process always follows the same other kind (a 0.6 s ES-module
    // guest, say) and order effects spread over every row alike.
    const steps: (() => Promise<void>)[] = [
      ...variants.map((v) => async () => {
        const s = await race.bootOnce(v.script, v.env, { kernel: v.kernel ?? true });
        ready.get(v.key)!.push(s.readyMs);
        if (v.key === "chosen") link.push(s.linkMs);
      }),
      async () => {
        bare.clean.push(await bareNodeOnce(clean));
      },
      ...(withCa
        ? [
            async () => {
              bare.inherited.push(await bareNodeOnce(inherited));
            },
          ]
        : []),
    ];
    for (let i = 0; i < BOOT_ROUNDS; i++) {
      for (let j = 0; j < steps.length; j++) await steps[(i + j) % steps.length]!();
    }
    const m = (key: string): number => median(ready.get(key)!);
    const rows = [
      ratioRow(
        `spawn → crng READY, seeded guest (${chosen.kind === "bundle" ? "bundle" : "ES modules"})`,
        "ms",
        m("chosen"),
        median(bare.clean),
        "<= 1.3x",
      ),
      ratioRow("  of which spawn → guest Link up", "ms", median(link), median(bare.clean)),
    ];
    const notes = [
      `spawn → READY: this process plays the hypervisor (LinkServer, role hypervisor), spawns the guest the hypervisor would (${chosen.script.replace(/.*\/apps\//, "apps/")}${chosen.reason ? `; ${chosen.reason}` : ""}), hands it boot.params with a 32-byte SETUP_RNG_SEED (buildBootImage; no RDRAND, no virtio-rng, so the seed alone makes it READY, checked via status.get) and stops the clock when the "random: crng init done" log.line arrives. Baseline: spawn of node -e "process.stdout.write('x')" until that byte arrives. Same node binary, same spawn options, environment without NODE_EXTRA_CA_CERTS; ${BOOT_ROUNDS} interleaved rounds after 2 warm-up, each starting one step later, median.`,
      "  Link up: spawn → the guest's Link passed the handshake (process start, code loaded, ws upgrade, hello/welcome); the rest is boot.params, the emulated boot and the log line.",
    ];
    if (chosen.kind === "bundle") {
      rows.push(
        ratioRow("  floor: any guest on this stack", "ms", m("floor"), median(bare.clean)),
        ratioRow("  floor + @vmrng/wire loaded", "ms", m("floorWire"), median(bare.clean)),
        ratioRow("  seeded guest against the floor", "ms", m("chosen"), m("floor")),
        ratioRow("  same, bundle without code cache", "ms", m("nocache"), median(bare.clean)),
        ratioRow("  same, ES modules (dist/main.js)", "ms", m("modules"), median(bare.clean)),
      );
      notes.push(
        "  floor: the guest's own loader (code cache) and dialler (upgrade request first), then a bundle of only ws, msgpackr (the Link's options) and @noble/hashes that holds the pre-READY conversation with the same LinkServer: hello/welcome, boot.params answered ok, a BLAKE2s over the seed, the READY log.line (apps/guest/scripts/floor-entry.mjs). No Link, validation or kernel: a lower bound for any guest on this stack, so the guest's spawn → READY cannot beat it.",
        "  floor + @vmrng/wire: the same, loading the whole wire package besides (TypeBox catalogue, precompiled checks, codec, Link) without using it: its difference to the floor is what loading the wire costs.",
        "  without code cache: node apps/guest/dist/guest.bundle.cjs directly, i.e. what the first guest after a build pays.",
        "  ES modules: node apps/guest/dist/main.js, the tsc output the hypervisor spawned before the bundle existed.",
      );
    }
    if (withCa) {
      rows.push(
        ratioRow(
          "  same, inherited env (NODE_EXTRA_CA_CERTS)",
          "ms",
          m("inherited"),
          median(bare.inherited),
        ),
      );
      notes.push(
        "  inherited env: both processes with this shell's environment, NODE_EXTRA_CA_CERTS included, as the hypervisor would pass it on here.",
      );
    }
    return { rows, notes };
  } finally {
    await race.close();
    floors?.remove();
  }
}

const virtio = await virtioRows();
const boot = await bootRows();
writeSuite("devices", [...virtio.rows, ...boot.rows]);
for (const note of [...virtio.notes, ...boot.notes]) console.log(note);

// Suite "fork": snapshot/clone latency and the notify-mode duplicate window (bench/fork.ts).
await import("./fork.js");
