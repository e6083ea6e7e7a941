/**
 * The benchmark's hypervisor process. It serves virtio-rng the way apps/hypervisor/src/main.ts
 * does, with the same modules: a LinkServer in the hypervisor role, one GuestSession per guest
 * (its GuestBackends' VirtioRngDevice: post, kick, then `virtio.used` on the guest's Link), and
 * HostEntropy as the device's byte source. Only the host is missing: HostEntropy's seeds and
 * reseeds come from node:crypto instead of `entropy.get` round trips, and no guest process is
 * spawned (the parent process connects as the guest).
 *
 * Beside it, in the same process and runtime, the baselines: bare ws + msgpackr servers that
 * answer {desc, len} with len bytes, one from a ChaCha DRBG like the device's, one from
 * node:crypto. Prints the ports as one JSON line; exits when the parent closes our stdin.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { DEFAULT_GUEST, GUEST_PANIC_EXIT_CODE, type GuestSpec } from "@vmrng/cluster";
import { ChaChaDrbg, RngMsrHost } from "@vmrng/devices";
import { createLinkServer, TokenRegistry } from "@vmrng/wire";
import { WebSocketServer } from "ws";
import { GuestSession } from "../src/guest-session.js";
import { HostEntropy } from "../src/host-entropy.js";
import {
  type BareAvail,
  BULK_GUEST,
  barePackr,
  bareUnpackr,
  type DeviceServerPorts,
  RTT_GUEST,
} from "./bare-protocol.js";

const t0 = performance.now();
const clock = { now: () => performance.now() - t0 };
const entropy = new HostEntropy(async (n) => new Uint8Array(randomBytes(n)));
await entropy.start();
const msrHost = new RngMsrHost({ clock, randomBytes: (n) => entropy.generate(n) });

const guest = (id: string, queueSize: number): GuestSpec => ({
  ...structuredClone(DEFAULT_GUEST),
  id,
  hypervisor: "bench-hv",
  expect: "ready",
  // 8: QEMU's virtio_add_queue(vdev, 8, ...) in hw/virtio/virtio-rng.c; 256: Firecracker's
  // RNG_QUEUE_SIZE (src/vmm/src/devices/virtio/rng/device.rs), no rate limiter configured.
  virtioRng: { enabled: true, queueSize, quality: 1024, rateLimit: {} },
});

const tokens = new TokenRegistry();
const server = await createLinkServer({ role: "hypervisor", node: "bench-hv", tokens });
const sessions = new Map<string, GuestSession>();
const guestTokens: Record<string, string> = {};
for (const spec of [guest(RTT_GUEST, 8), guest(BULK_GUEST, 256)]) {
  guestTokens[spec.id] = tokens.issue({ role: "guest", node: spec.id });
  sessions.set(
    spec.id,
    new GuestSession(spec, {
      clock,
      entropy,
      msrHost,
      panicExitCode: GUEST_PANIC_EXIT_CODE,
      emit: (kind, level, message) => {
        if (level !== "info") console.error(`device-server: ${kind}: ${message}`);
      },
      spawn: () => {
        throw new Error("the bench's guest is the parent process");
      },
    }),
  );
}
const sessionOf = (node: string): GuestSession => {
  const s = sessions.get(node);
  if (!s) throw new Error(`no guest ${node}`);
  return s;
};
// As in main.ts: a connecting guest gets its boot image; its buffers go to its own device.
server.on("link", (link) => {
  sessionOf(link.peer.node)
    .attach(link)
    .catch((err: Error) => console.error(`device-server: attach: ${err.message}`));
});
server.handle("virtio.avail", (msg, link) =>
  sessionOf(link.peer.node).onVirtioAvail(msg.desc, msg.len),
);

async function bareServer(source: (n: number) => Uint8Array): Promise<number> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  wss.on("connection", (ws) => {
    const packr = barePackr();
    const unpackr = bareUnpackr();
    ws.on("message", (data: Buffer) => {
      const m = unpackr.unpack(data) as BareAvail;
      ws.send(packr.pack({ t: "used", desc: m.desc, data: source(m.len) }));
    });
  });
  return (wss.address() as AddressInfo).port;
}

const bareDrbg = new ChaChaDrbg(new Uint8Array(randomBytes(32)));
const ports: DeviceServerPorts = {
  link: server.port,
  tokens: guestTokens,
  bare: await bareServer((n) => bareDrbg.generate(n)),
  bareCrypto: await bareServer((n) => randomBytes(n)),
};
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
