/**
 * The start-up floor of a guest on vmrng's stack (the devices bench's "floor" rows). It starts
 * exactly as a guest does (the guest's own loader, scripts/guest-start.cjs, with its code cache,
 * and the guest's own dialler, dist/guest-dial.cjs, which sends the upgrade request first) and
 * loads only what no guest can boot without: ws, msgpackr with the Link's options and
 * @noble/hashes. It then holds the shortest conversation a seeded guest has with the real
 * LinkServer before READY: hello → welcome, boot.params → ok, a BLAKE2s over the seed (the least
 * a kernel does with it), and the "random: crng init done" log.line.
 * No Link, no schema validation, no emulated kernel: the guest row minus this one is what
 * vmrng's own code costs.
 */
import { blake2s } from "@noble/hashes/blake2.js";
import { PACKR_OPTIONS, UNPACKR_OPTIONS } from "@vmrng/wire/codec-options";
import { startUpgrade } from "@vmrng/wire/upgrade";
import { Packr, Unpackr } from "msgpackr";
import { WebSocket } from "ws";

// The Link's MessagePack options, from the wire itself (packages/wire/src/codec/options.ts).
const packr = new Packr({ ...PACKR_OPTIONS });
const unpackr = new Unpackr({ ...UNPACKR_OPTIONS });

// What the guest's dialler (apps/guest/src/dial.ts) left on globalThis (apps/guest/src/early.ts).
const early = globalThis[Symbol.for("vmrng.guest.earlyStart")];
if (early === undefined) throw new Error("floor: start it through guest-start.cjs");
const node = early.id;
const pending =
  early.firstUpgrade ??
  startUpgrade({ url: early.url, token: early.token, role: "guest", node, timeoutMs: 5000 });
process.on("SIGTERM", () => process.exit(0));

pending.result.then((outcome) => {
  if (outcome.kind !== "upgraded") throw new Error(`floor: upgrade ${outcome.kind}`);
  // The client-side adoption of an upgraded socket, as packages/wire/src/link/client.ts does it.
  const ws = new WebSocket(null, undefined, { autoPong: true });
  ws._isServer = false;
  ws.setSocket(outcome.socket, outcome.head, {
    allowSynchronousEvents: true,
    maxPayload: 16 * 1024 * 1024,
  });
  outcome.socket.resume();
  const send = (m) => ws.send(packr.pack(m));
  send({ t: "hello", minVersion: 1, maxVersion: 1, role: "guest", node, software: "vmrng-floor" });
  ws.on("message", (data) => {
    const m = unpackr.unpack(data);
    if (m.t !== "boot.params") return;
    send({ t: "ok", re: m.id });
    globalThis.vmrngFloorDigest = blake2s(m.setupData[0]?.data ?? new Uint8Array(32));
    send({ t: "log.line", node, vtimeMs: 0, level: 5, text: "random: crng init done" });
  });
});
