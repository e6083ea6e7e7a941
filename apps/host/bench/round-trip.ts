import { once } from "node:events";
import { createConnection, type Socket } from "node:net";

/** Where a round-trip client connects: a TCP port on 127.0.0.1 or a Unix socket path. */
export type EgdAddress = { port: number } | { path: string };

/**
 * QEMU's rng-egd pattern without QEMU: one `[0x02, n]` request, wait for its n bytes, the next
 * request, and so on. Returns the microseconds of each round trip (request written to last
 * reply byte read), which is what one 64-byte /dev/hwrng read waits on top of socat's path.
 * The client is itself a Node process, so its own wake-up is in every figure alike.
 */
export async function measureRoundTrips(
  where: EgdAddress,
  requests: number,
  n = 64,
): Promise<number[]> {
  const socket: Socket =
    "port" in where
      ? createConnection({ port: where.port, host: "127.0.0.1", noDelay: true })
      : createConnection({ path: where.path });
  await once(socket, "connect");
  const request = Buffer.from([0x02, n]);
  const out: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let got = 0;
      let sent = 0n;
      const send = (): void => {
        got = 0;
        sent = process.hrtime.bigint();
        socket.write(request);
      };
      socket.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (got > n) return reject(new Error(`the server sent ${got} bytes for a ${n}-byte read`));
        if (got < n) return;
        out.push(Number(process.hrtime.bigint() - sent) / 1000);
        if (out.length === requests) resolve();
        else send();
      });
      socket.once("error", reject);
      socket.once("close", () => reject(new Error("the server closed the connection")));
      send();
    });
  } finally {
    socket.destroy();
  }
  return out;
}
