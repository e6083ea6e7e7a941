import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createConnection, createServer } from "node:net";

/** A free TCP port on 127.0.0.1 (bound and released: good enough for one bench run). */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitListening(port: number, child: ChildProcess, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited (${child.exitCode}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: "127.0.0.1" });
      c.once("connect", () => {
        c.destroy();
        resolve(true);
      });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Peer {
  port: number;
  stop(): void;
}

/**
 * The ceiling: socat streaming /dev/urandom into the socket whatever is asked. QEMU's
 * rng-egd reads only what it requested (rng_egd_chr_can_read), so the extra bytes wait in the
 * socket and every request finds its answer already there: no round trip. (QEMU's requests
 * go the other way into /dev/urandom, which mixes them in and credits nothing.)
 */
export async function startSocat(): Promise<Peer> {
  const port = await freePort();
  const child = spawn(
    "socat",
    [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, "OPEN:/dev/urandom"],
    {
      stdio: "ignore",
    },
  );
  child.on("error", () => {});
  await waitListening(port, child, "socat");
  return { port, stop: () => child.kill("SIGKILL") };
}

/**
 * The least an honest EGD server can do: for each [0x02, n] request, write n bytes (from one
 * random buffer, no generator, no accounting) only after the request arrived. It measures the
 * protocol's round trip, the cost no EGD server can avoid and socat skips.
 */
const NULL_RESPONDER = `
const net = require("node:net");
const pool = require("node:crypto").randomBytes(65536);
net.createServer({ noDelay: true }, (s) => {
  let carry = null;
  s.on("data", (d) => {
    if (carry !== null) { d = Buffer.concat([Buffer.from([carry]), d]); carry = null; }
    let i = 0;
    for (; i + 1 < d.length; i += 2) s.write(pool.subarray(0, d[i + 1]));
    if (i < d.length) carry = d[i];
  });
  s.on("error", () => {});
}).listen(Number(process.argv[1]), "127.0.0.1");
`;

export async function startNullResponder(): Promise<Peer> {
  const port = await freePort();
  const child = spawn(process.execPath, ["-e", NULL_RESPONDER, String(port)], { stdio: "ignore" });
  await waitListening(port, child, "the null EGD responder");
  return { port, stop: () => child.kill("SIGKILL") };
}
