/**
 * The guest's /init: a busybox shell script that brings up virtio-rng the way a distribution
 * initramfs would, then reads /dev/hwrng and reports on the console in lines the host side can
 * parse: `vmrng-guest: <event> key=value …`.
 */
export const GUEST_MARK = "vmrng-guest:";
/** Written to /dev/kmsg just before the first insmod. */
export const KMSG_LOADING = "vmrng: loading the virtio-rng modules";

export interface GuestScriptOptions {
  /** Module names in load order (dependencies first), stored as /lib/modules/<name>.ko. */
  modules: readonly string[];
  /** Bytes each round reads from /dev/hwrng: a multiple of 64 (hw_random's read size on x86). */
  readBytes: number;
  rounds: number;
  /** Wait for a line on the console before the reads, and again before powering off. */
  handshake: boolean;
  /** After the reads: power off, or give the console a shell (powering off when it exits). */
  after: "poweroff" | "shell";
  /**
   * hw_random devices to read in turn (e.g. virtio_rng.0, virtio_rng.1): every round reads each
   * once, selected through rng_current, starting one further along each round so drift hits
   * all alike. Default: only the current device.
   */
  devices?: readonly string[];
}

/** rng_buffer_size() on x86: max(32, SMP_CACHE_BYTES) = 64 (drivers/char/hw_random/core.c). */
export const HWRNG_READ_BYTES = 64;

export function guestInitScript(o: GuestScriptOptions): string {
  if (!Number.isInteger(o.readBytes) || o.readBytes <= 0 || o.readBytes % HWRNG_READ_BYTES !== 0)
    throw new RangeError(`readBytes must be a positive multiple of 64 (got ${o.readBytes})`);
  const count = o.readBytes / HWRNG_READ_BYTES;
  return `#!/bin/busybox sh
# vmrng guest init: load virtio-rng, read /dev/hwrng, report on the console.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin
say() { echo "${GUEST_MARK} $*"; }
# Nanoseconds of CLOCK_MONOTONIC: the first "now at" line of /proc/timer_list.
now_ns() { grep -m1 '^now at' /proc/timer_list | cut -d' ' -f3; }
# Used buffers the virtio-rng device returned: one MSI-X interrupt on its "input" queue each
# (drivers/char/hw_random/virtio-rng.c keeps one 64-byte buffer posted at a time).
irqs() { awk '/virtio[0-9]+-input/ { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; print n; exit }' /proc/interrupts; }
wait_line() { read -r _reply; }

# A marker in the kernel log itself, so its order against the kernel's own lines (such as
# "random: crng init done") is exact.
echo "${KMSG_LOADING}" > /dev/kmsg
for m in ${o.modules.join(" ")}; do
  insmod /lib/modules/$m.ko || echo "${GUEST_MARK} error insmod=$m"
done
i=0
while [ ! -e /sys/class/misc/hw_random/rng_current ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
i=0
until dmesg | grep -q 'random: crng init done'; do
  [ $i -ge 600 ] && break
  sleep 0.05; i=$((i + 1))
done
# From here on only emergencies reach the console: kernel lines printed in the middle of a
# report line would garble it (printk writes the console directly, not through the tty).
dmesg -n 1
say "modules loaded=${o.modules.join(",")}"
say "hwrng available=$(sed 's/ *$//; s/ /,/g' /sys/class/misc/hw_random/rng_available) current=$(cat /sys/class/misc/hw_random/rng_current)"
dmesg | grep -q 'random: crng init done' && say "crng ready=1" || say "crng ready=0"
say "ready irqs=$(irqs)"
${o.handshake ? "wait_line" : ""}
# read_round ROUND [DEVICE]: select DEVICE (rng_current), read, report.
read_round() {
  [ -n "$2" ] && echo "$2" > /sys/class/misc/hw_random/rng_current
  t0=$(now_ns)
  dd if=/dev/hwrng of=/tmp/hwrng bs=${HWRNG_READ_BYTES} count=${count} 2>/dev/null
  t1=$(now_ns)
  say "read round=$1 device=$(cat /sys/class/misc/hw_random/rng_current) bytes=$(wc -c < /tmp/hwrng) ns=$((t1 - t0)) sha256=$(sha256sum /tmp/hwrng | cut -d' ' -f1) head=$(head -c 32 /tmp/hwrng | od -An -tx1 | tr -d ' \\n') irqs=$(irqs)"
}
${readSchedule(o)}${
  o.after === "shell"
    ? `say "shell: try cat /sys/class/misc/hw_random/rng_current, dd if=/dev/hwrng bs=64 count=1 | od -An -tx1; exit powers off"
dmesg -n 6
setsid cttyhack sh
`
    : o.handshake
      ? "wait_line\n"
      : ""
}say "bye irqs=$(irqs)"
poweroff -f
`;
}

/** The read_round calls, unrolled: devices rotate by one each round. */
function readSchedule(o: GuestScriptOptions): string {
  const lines: string[] = [];
  const devs = o.devices ?? [];
  for (let r = 1; r <= o.rounds; r++) {
    if (devs.length === 0) lines.push(`read_round ${r}`);
    for (let i = 0; i < devs.length; i++)
      lines.push(`read_round ${r} ${devs[(r - 1 + i) % devs.length]}`);
  }
  return `${lines.join("\n")}\n`;
}

/** One parsed `vmrng-guest:` line: its event word and key=value fields. */
export interface GuestEvent {
  event: string;
  fields: Record<string, string>;
}

export function parseGuestLine(line: string): GuestEvent | undefined {
  const at = line.indexOf(GUEST_MARK);
  if (at < 0) return undefined;
  const words = line
    .slice(at + GUEST_MARK.length)
    .trim()
    .split(/\s+/);
  const event = words.shift();
  if (!event) return undefined;
  const fields: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf("=");
    if (eq > 0) fields[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return { event, fields };
}
