import {
  Codec,
  type Link,
  type LinkClient,
  type LinkServerOptions,
  type OneWay,
  WireError,
} from "../src/index.js";
import { connectGuest, type Lab, nextLink, startLab } from "./helpers.js";

/** A server (hypervisor hv-1) link and the guest's client link, over a real ws connection. */
export interface Pair {
  lab: Lab;
  client: LinkClient;
  /** The guest's side. */
  guest: Link;
  /** The hypervisor's side. */
  hv: Link;
  /** virtio.used messages the guest received, with performance.now() at arrival. */
  used: { desc: number; data: Uint8Array; at: number }[];
  /** virtio.avail descs the hypervisor handled. */
  avail: number[];
}

export async function pair(
  cleanup: (() => Promise<void> | void)[],
  options: Partial<LinkServerOptions> = {},
): Promise<Pair> {
  const lab = await startLab(options, cleanup);
  const avail: number[] = [];
  lab.server.handle("virtio.avail", (m) => {
    avail.push(m.desc);
  });
  lab.server.handle("msr.rdmsr", (m) => ({ t: "msr.value", index: m.index, value: 7n }));
  const hvP = nextLink(lab.server);
  const client = connectGuest(lab, { reconnect: false });
  const guest = await client.opened();
  const hv = await hvP;
  const used: Pair["used"] = [];
  guest.on("message", (m: OneWay) => {
    if (m.t === "virtio.used") used.push({ desc: m.desc, data: m.data, at: performance.now() });
  });
  return { lab, client, guest, hv, used, avail };
}

/** A virtio.used with `len` bytes of payload, all equal to desc & 0xff. */
export function usedMsg(desc: number, len = 16): OneWay {
  return { t: "virtio.used", desc, data: new Uint8Array(len).fill(desc & 0xff) };
}

/** Encoded size of a message (what limit_data and bandwidth count). */
export function encodedSize(msg: OneWay): number {
  return new Codec().encode(msg).byteLength;
}

/** A random source that returns `values` in turn, then `rest` forever. */
export function scripted(values: number[], rest = 0.999): () => number {
  let i = 0;
  return () => (i < values.length ? values[i++]! : rest);
}

export function invalidMessage(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    if (e.code !== "E_INVALID") throw new Error(`expected E_INVALID, got ${e.code}: ${e.message}`);
    return e.message;
  }
  throw new Error("expected addToxic to throw");
}
