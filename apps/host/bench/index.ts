/**
 * Suite "egd": bytes per second a real Linux guest reads from /dev/hwrng when QEMU's
 * virtio-rng-pci is backed by rng-egd on the vmrng host's EGD server, beside references in
 * the same run and the very same guest:
 *
 *  - rng-builtin: QEMU's own backend (qemu_guest_getrandom), no socket at all;
 *  - socat streaming /dev/urandom into the socket: the ceiling for any EGD peer (answers are
 *    already waiting, no round trip), as the issue defines it;
 *  - a null responder: a protocol-correct EGD peer that does nothing but answer each request
 *    once it arrived: the round trip every real EGD server pays, and socat skips.
 *
 * One guest (TCG) gets one virtio-rng-pci device per backend (virtio_rng.0 … .4); each round
 * it selects every device in turn through hw_random's rng_current, starting one further along
 * each round, and reads ROUND_BYTES in 64-byte records (hw_random's read size), timed with
 * CLOCK_MONOTONIC in the guest. Interleaving in one VM lets machine drift hit every backend
 * alike; the median round per backend is reported, and the per-round ratio to socat (both
 * read back to back in the same round) with its range, as the noise figure.
 *
 * What one 64-byte read costs on the wire (Linux 6.1 guest, QEMU 7.2):
 *  - core.c rng_dev_read asks the current hwrng for rng_buffer_size() = 64 bytes per call
 *    (max(32, SMP_CACHE_BYTES)) and copies them to user space.
 *  - virtio-rng.c (6.1) posts one buffer of SMP_CACHE_BYTES = 64 bytes at a time, and
 *    copy_data() re-posts it (request_entropy: sg_init_one(…, 64), virtqueue_add_inbuf,
 *    virtqueue_kick) the moment data_avail reaches 0 ("always add a pending request"; checked
 *    in the Debian module's disassembly). So the next request leaves the guest before the
 *    current 64 bytes reach user space: its round trip overlaps the guest's copy_to_user,
 *    dd's write() and its next read(), and costs time only where it outlasts that work.
 *  - QEMU virtio-rng.c virtio_rng_process asks the backend for the bytes of the available
 *    buffers (64: one buffer posted), capped by the quota (max-bytes is INT64_MAX per period
 *    by default: no limit here); rng-egd.c rng_egd_request_entropy writes one [0x02, 0x40]
 *    header; rng_egd_chr_can_read admits only the 64 bytes outstanding, rng_egd_chr_read
 *    completes the request, and chr_read pushes the buffer and notifies the guest.
 *  So every 64-byte read is exactly one EGD round trip, one request in flight, no pipelining.
 *  With socat the answer is already in the socket when QEMU polls; any server that waits for
 *  the question adds its wake-up, its syscalls and QEMU's wake-up, beyond what the guest's
 *  own work between reads hides.
 *
 * Measured on the 2-vCPU development VM (KVM guest with halt polling off): a C responder with
 * blocking read/write answers a loopback [0x02, 64] in ~13.5 µs, the Node null responder in
 * ~17 µs and this server in ~18 µs while the other vCPU is busy, all ~50–65 µs when it is
 * halted (the wake-up goes through the hypervisor); the guest's read takes ~60–80 µs with
 * rng-builtin and ~90–110 µs with socat, and even the C responder only reached 0.5–0.73× of
 * socat in the same guest. The round-trip rows below give the server's own per-request figure.
 */
import { type BenchRow, percentile, ratioRow, writeSuite } from "@vmrng/benchkit";
import { prepareGuestImage, QemuGuest, type RngBackend } from "@vmrng/tools/qemu";
import { startEgdHost } from "./host-process.js";
import { type Peer, startNullResponder, startSocat } from "./peers.js";
import { type EgdAddress, measureRoundTrips } from "./round-trip.js";

const ROUND_BYTES = 256 * 1024;
const ROUNDS = 9;
/** Loopback round trips per server: slices of SLICE, rotating among the servers. */
const RT_SLICES = 5;
const RT_SLICE = 2000;
const BOOT_MS = 120_000;

const host = await startEgdHost();
const peers: Peer[] = [];
try {
  const socat = await startSocat();
  peers.push(socat);
  const nul = await startNullResponder();
  peers.push(nul);
  const backends: [string, RngBackend][] = [
    ["rng-builtin", { kind: "builtin" }],
    ["socat /dev/urandom (TCP)", { kind: "egd-tcp", port: socat.port }],
    ["vmrng host EGD (TCP)", { kind: "egd-tcp", port: host.state.egdPort! }],
    ["null EGD responder (TCP)", { kind: "egd-tcp", port: nul.port }],
    ["vmrng host EGD (Unix socket)", { kind: "egd-unix", path: host.state.egdSocket! }],
  ];
  const devices = backends.map((_, i) => `virtio_rng.${i}`);
  const image = prepareGuestImage(
    // handshake: the guest waits for a console line before reading and before powering off,
    // so the host's accounting can be read while its clients are still connected.
    { readBytes: ROUND_BYTES, rounds: ROUNDS, handshake: true, after: "poweroff", devices },
    { note: (m) => console.log(`egd bench: ${m}`) },
  );
  const guest = new QemuGuest({
    kernel: image.kernel.vmlinuz,
    initrd: image.initrd,
    rng: backends.map(([, b]) => b),
  });
  // rates.get(device)[round - 1]: KB/s of that device in that round.
  const rates = new Map<string, number[]>(devices.map((d) => [d, []]));
  let egd: Awaited<ReturnType<typeof host.egdStatus>>;
  try {
    const hw = await guest.nextEvent("hwrng", BOOT_MS);
    if (hw.fields.available !== devices.join(","))
      throw new Error(
        `the guest's hw_random devices are ${hw.fields.available}, not ${devices.join(",")}`,
      );
    await guest.nextEvent("ready", 60_000);
    guest.send("go");
    for (let i = 0; i < ROUNDS * devices.length; i++) {
      const ev = await guest.nextEvent("read", 120_000);
      const bytes = Number(ev.fields.bytes);
      if (bytes !== ROUND_BYTES) throw new Error(`the guest read ${bytes} of ${ROUND_BYTES} bytes`);
      const list = rates.get(ev.fields.device ?? "");
      if (list) list[Number(ev.fields.round) - 1] = bytes / 1000 / (Number(ev.fields.ns) / 1e9);
    }
    egd = await host.egdStatus();
    guest.send("bye");
    await guest.waitExit(30_000);
  } finally {
    guest.kill();
    image.dispose();
  }
  // The host's own accounting confirms which device was which: its TCP client and its Unix
  // client each served at least every round's bytes.
  for (const label of [/^tcp /, /^unix /]) {
    const served = egd.clients
      .filter((c) => label.test(c.client))
      .reduce((n, c) => n + c.bytes, 0n);
    if (served < BigInt(ROUNDS * ROUND_BYTES))
      throw new Error(`the host's ${label.source.trim()} client served only ${served} bytes`);
  }
  const kbps = (i: number): number => {
    const xs = rates.get(devices[i]!)!;
    const m = percentile(xs, 50);
    console.log(
      `egd bench: ${backends[i]![0]}: ${xs.map((x) => x.toFixed(0)).join(" ")} KB/s, median ${m.toFixed(0)} (${(64_000 / m).toFixed(0)} µs per 64-byte read), range ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`,
    );
    return m;
  };
  // The same round's two devices were read back to back: their ratio is what drift spares.
  const paired = (i: number, base: number): void => {
    const a = rates.get(devices[i]!)!;
    const b = rates.get(devices[base]!)!;
    const rs = a.map((x, r) => x / b[r]!);
    console.log(
      `egd bench: ${backends[i]![0]} / ${backends[base]![0]} per round: ${rs.map((x) => x.toFixed(2)).join(" ")}; median ${percentile(rs, 50).toFixed(3)}, range ${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}`,
    );
  };
  const [builtin, ceiling, egdTcp, floor, egdUnix] = backends.map((_, i) => kbps(i)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  for (const i of [2, 3, 4]) paired(i, 1);
  paired(2, 3);
  const rt = await roundTrips([
    ["vmrng host EGD (TCP)", { port: host.state.egdPort! }],
    ["null EGD responder (TCP)", { port: nul.port }],
    ["vmrng host EGD (Unix socket)", { path: host.state.egdSocket! }],
  ]);
  const rows: BenchRow[] = [
    ratioRow(
      "guest /dev/hwrng: vmrng EGD (TCP) vs socat ceiling",
      "KB/s",
      egdTcp,
      ceiling,
      ">= 0.95x",
    ),
    ratioRow("guest /dev/hwrng: vmrng EGD (TCP) vs rng-builtin", "KB/s", egdTcp, builtin),
    ratioRow(
      "guest /dev/hwrng: vmrng EGD (TCP) vs null EGD responder",
      "KB/s",
      egdTcp,
      floor,
      ">= 0.95x",
    ),
    ratioRow("guest /dev/hwrng: vmrng EGD (Unix) vs socat ceiling (TCP)", "KB/s", egdUnix, ceiling),
    ratioRow("guest /dev/hwrng: null EGD responder vs socat ceiling", "KB/s", floor, ceiling),
    ratioRow(
      "loopback [0x02,64] round trip: vmrng host (TCP) vs null responder (lower is better)",
      "µs",
      rt[0]!,
      rt[1]!,
    ),
    ratioRow(
      "loopback [0x02,64] round trip: vmrng host (Unix) vs null responder (TCP)",
      "µs",
      rt[2]!,
      rt[1]!,
    ),
  ];
  writeSuite("egd", rows);
} finally {
  for (const p of peers) p.stop();
  await host.stop();
}

/**
 * Median µs per request of each server with QEMU's one-request-in-flight pattern, the servers
 * taking turns in slices so that drift hits them alike.
 */
async function roundTrips(servers: [string, EgdAddress][]): Promise<number[]> {
  const all = servers.map((): number[] => []);
  for (let slice = 0; slice < RT_SLICES; slice++)
    for (const [i, [, where]] of servers.entries())
      all[i]!.push(...(await measureRoundTrips(where, RT_SLICE)));
  return all.map((xs, i) => {
    const m = percentile(xs, 50);
    console.log(
      `egd bench: round trip ${servers[i]![0]}: p50 ${m.toFixed(1)} µs, p90 ${percentile(xs, 90).toFixed(1)} µs, p99 ${percentile(xs, 99).toFixed(1)} µs`,
    );
    return m;
  });
}
