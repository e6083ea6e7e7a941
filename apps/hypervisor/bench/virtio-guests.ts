import { once } from "node:events";
import { connectLink, type LinkClient } from "@vmrng/wire";
import { WebSocket } from "ws";
import { type BareAvail, type BareUsed, barePackr, bareUnpackr } from "./bare-protocol.js";

/**
 * The guest's half of a virtio-rng queue, played by the bench process: it makes descriptors
 * available and is called back when the device returns them. Two implementations: the real
 * wire (a guest Link to the hypervisor's LinkServer) and the bare baseline.
 */
export interface VirtioGuest {
  readonly name: string;
  /** Makes descriptor `desc` of `len` bytes available (virtio.avail). */
  post(desc: number, len: number): void;
  /** Called with each used buffer (virtio.used). */
  onUsed: (desc: number, data: Uint8Array) => void;
  close(): Promise<void> | void;
}

/** A guest over a real Link: it accepts the hypervisor's boot.params, then exchanges buffers. */
export async function linkGuest(url: string, token: string, node: string): Promise<VirtioGuest> {
  const client: LinkClient = connectLink({
    url,
    token,
    role: "guest",
    node,
    expect: { role: "hypervisor" },
    reconnect: false,
  });
  const g: VirtioGuest = {
    name: `link/${node}`,
    post: (desc, len) => link.send({ t: "virtio.avail", desc, len }),
    onUsed: () => {},
    close: () => client.close(),
  };
  let booted!: () => void;
  const bootParams = new Promise<void>((r) => {
    booted = r;
  });
  client.handle("boot.params", () => {
    booted();
    return undefined;
  });
  client.handle("virtio.used", (msg) => g.onUsed(msg.desc, msg.data));
  const link = await client.opened();
  // The GuestSession attaches on connect and hands over the boot image first, as for a real VM.
  await bootParams;
  return g;
}

/** The baseline: bare ws + msgpackr to a server that answers {desc, len} with len bytes. */
export async function bareGuest(port: number, name: string): Promise<VirtioGuest> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await once(ws, "open");
  const packr = barePackr();
  const unpackr = bareUnpackr();
  const g: VirtioGuest = {
    name,
    post: (desc, len) => ws.send(packr.pack({ t: "avail", desc, len } satisfies BareAvail)),
    onUsed: () => {},
    close: () => ws.close(),
  };
  ws.on("message", (data: Buffer) => {
    const m = unpackr.unpack(data) as BareUsed;
    g.onUsed(m.desc, m.data);
  });
  return g;
}

/**
 * One 64-byte request at a time: avail → used round trip in µs, `n` samples appended to `into`.
 * Descriptors cycle through `queueSize` heads as the driver's would.
 */
export async function roundTrips(
  g: VirtioGuest,
  n: number,
  len: number,
  queueSize: number,
  into: number[],
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const desc = i % queueSize;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      g.onUsed = (d, data) => {
        if (d !== desc || data.byteLength !== len)
          reject(new Error(`${g.name}: used ${d}/${data.byteLength} B for ${desc}/${len} B`));
        else resolve();
      };
      g.post(desc, len);
    });
    into.push((performance.now() - t0) * 1000);
  }
}

/**
 * Keeps every one of `queueSize` descriptors of `len` bytes available (a used buffer is posted
 * again at once) until `total` buffers came back; returns MB/s of entropy delivered. A buffer
 * the device never returns stalls the queue: after `stallMs` without progress this rejects.
 */
export function bulk(
  g: VirtioGuest,
  total: number,
  len: number,
  queueSize: number,
  stallMs = 5000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let posted = 0;
    let done = 0;
    let lastProgress = performance.now();
    const t0 = performance.now();
    const watchdog = setInterval(() => {
      if (performance.now() - lastProgress > stallMs) {
        clearInterval(watchdog);
        reject(
          new Error(
            `${g.name}: stalled with ${posted - done} of ${queueSize} descriptors never used (${done}/${total} done)`,
          ),
        );
      }
    }, 250);
    g.onUsed = (desc, data) => {
      if (data.byteLength !== len) {
        clearInterval(watchdog);
        reject(new Error(`${g.name}: used ${data.byteLength} B, offered ${len}`));
        return;
      }
      done++;
      lastProgress = performance.now();
      if (done === total) {
        clearInterval(watchdog);
        resolve((done * len) / 1e6 / ((performance.now() - t0) / 1000));
      } else if (posted < total) {
        posted++;
        g.post(desc, len);
      }
    };
    for (let d = 0; d < queueSize && posted < total; d++) {
      posted++;
      g.post(d, len);
    }
  });
}
