/**
 * Suite "egd": bytes per second a real Linux guest reads from /dev/hwrng when QEMU's
 * virtio-rng-pci is backed by rng-egd on the vmrng host's EGD server, beside references
 * measured in the same run with the same kernel, initramfs and QEMU flags:
 *
 *  - rng-builtin: QEMU's own backend (qemu_guest_getrandom), no socket at all;
 *  - socat streaming /dev/urandom into the socket: the ceiling for any EGD peer (answers are
 *    already waiting, no round trip), as the issue defines it;
 *  - a null responder: a protocol-correct EGD peer that does nothing but answer each request
 *    after it arrives: the floor of the round trip every real EGD server pays.
 *
 * Each configuration boots its own guest (TCG), which reads ROUND_BYTES per round in 64-byte
 * records (hw_random's read size) for ROUNDS rounds; the guest times each round with
 * CLOCK_MONOTONIC; the median round is reported.
 */
import { type BenchRow, percentile, ratioRow, writeSuite } from "@vmrng/benchkit";
import { prepareGuestImage, QemuGuest, type RngBackend } from "@vmrng/tools/qemu";
import { startEgdHost } from "./host-process.js";
import { type Peer, startNullResponder, startSocat } from "./peers.js";

const ROUND_BYTES = 256 * 1024;
const ROUNDS = 5;
const BOOT_MS = 120_000;

const image = prepareGuestImage(
  { readBytes: ROUND_BYTES, rounds: ROUNDS, handshake: false, after: "poweroff" },
  { note: (m) => console.log(`egd bench: ${m}`) },
);

/** Median KB/s (1000 bytes) of the guest's /dev/hwrng rounds with this backend. */
async function measure(name: string, rng: RngBackend): Promise<number> {
  const guest = new QemuGuest({ kernel: image.kernel.vmlinuz, initrd: image.initrd, rng });
  try {
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const ev = await guest.nextEvent("read", r === 0 ? BOOT_MS : 60_000);
      const bytes = Number(ev.fields.bytes);
      const ns = Number(ev.fields.ns);
      if (bytes !== ROUND_BYTES)
        throw new Error(`${name}: the guest read ${bytes} of ${ROUND_BYTES} bytes`);
      rates.push(bytes / 1000 / (ns / 1e9));
    }
    await guest.waitExit(30_000);
    const median = percentile(rates, 50);
    console.log(
      `egd bench: ${name}: ${rates.map((x) => x.toFixed(0)).join(" ")} KB/s, median ${median.toFixed(0)}`,
    );
    return median;
  } finally {
    guest.kill();
  }
}

const host = await startEgdHost();
const peers: Peer[] = [];
try {
  const builtin = await measure("rng-builtin", { kind: "builtin" });
  const socat = await startSocat();
  peers.push(socat);
  const ceiling = await measure("socat /dev/urandom (TCP)", { kind: "egd-tcp", port: socat.port });
  const egdTcp = await measure("vmrng host EGD (TCP)", {
    kind: "egd-tcp",
    port: host.state.egdPort!,
  });
  const nul = await startNullResponder();
  peers.push(nul);
  const floor = await measure("null EGD responder (TCP)", { kind: "egd-tcp", port: nul.port });
  const egdUnix = await measure("vmrng host EGD (Unix socket)", {
    kind: "egd-unix",
    path: host.state.egdSocket!,
  });

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
  ];
  writeSuite("egd", rows);
} finally {
  for (const p of peers) p.stop();
  await host.stop();
  image.dispose();
}
