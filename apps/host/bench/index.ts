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
 * alike; the median round per backend is reported.
 */
import { type BenchRow, percentile, ratioRow, writeSuite } from "@vmrng/benchkit";
import { prepareGuestImage, QemuGuest, type RngBackend } from "@vmrng/tools/qemu";
import { startEgdHost } from "./host-process.js";
import { type Peer, startNullResponder, startSocat } from "./peers.js";

const ROUND_BYTES = 256 * 1024;
const ROUNDS = 6;
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
      rates.get(ev.fields.device ?? "")?.push(bytes / 1000 / (Number(ev.fields.ns) / 1e9));
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
      `egd bench: ${backends[i]![0]}: ${xs.map((x) => x.toFixed(0)).join(" ")} KB/s, median ${m.toFixed(0)}`,
    );
    return m;
  };
  const [builtin, ceiling, egdTcp, floor, egdUnix] = backends.map((_, i) => kbps(i)) as [
    number,
    number,
    number,
    number,
    number,
  ];
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
  ];
  writeSuite("egd", rows);
} finally {
  for (const p of peers) p.stop();
  await host.stop();
}
