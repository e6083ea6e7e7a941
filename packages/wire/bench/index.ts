/**
 * Link vs bare ws + msgpackr, between this process and a child server process (bench/server.ts,
 * run through tsx like this file). Both sides echo; rounds alternate Link/bare so drift on a
 * shared machine hits both alike. Rows: round-trip p50/p99 for 64 B and 64 KiB payloads, and
 * pipelined throughput (msgs/s, payload MB/s one way).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type BenchRow, percentile, ratioRow, writeSuite } from "@vmrng/benchkit";
import { WebSocket } from "ws";
import { connectLink, generateToken, type Link } from "../src/index.js";
import { type BareEcho, barePackr, bareUnpackr, MAX_FRAME } from "./shared.js";

type Call = (data: Uint8Array) => Promise<unknown>;

async function startServer(
  token: string,
): Promise<{ child: ChildProcess; link: number; bare: number }> {
  const script = fileURLToPath(new URL("./server.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, BENCH_TOKEN: token },
  });
  let out = "";
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes("\n")) break;
  }
  const ports = JSON.parse(out.split("\n")[0]!) as { link: number; bare: number };
  return { child, ...ports };
}

async function linkCall(
  port: number,
  token: string,
): Promise<{ call: Call; link: Link; close: () => Promise<void> }> {
  const client = connectLink({
    url: `ws://127.0.0.1:${port}/`,
    token,
    role: "client",
    node: "bench",
    reconnect: false,
    limits: { maxFrameBytes: MAX_FRAME },
  });
  const link = await client.opened();
  return {
    link,
    call: (data) => link.request({ t: "echo", data }),
    close: () => client.close(),
  };
}

async function bareCall(port: number): Promise<{ call: Call; close: () => void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
    perMessageDeflate: false,
    maxPayload: MAX_FRAME,
  });
  await once(ws, "open");
  const packr = barePackr();
  const unpackr = bareUnpackr();
  const pending = new Map<number, (m: BareEcho) => void>();
  let nextId = 0;
  ws.on("message", (data: Buffer) => {
    const m = unpackr.unpack(data) as BareEcho;
    const resolve = pending.get(m.re!);
    pending.delete(m.re!);
    resolve?.(m);
  });
  return {
    call: (data) =>
      new Promise((resolve) => {
        const id = ++nextId;
        pending.set(id, resolve);
        ws.send(packr.pack({ t: "echo", id, data }));
      }),
    close: () => ws.close(),
  };
}

async function roundTrips(call: Call, data: Uint8Array, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(data);
    into.push((performance.now() - t0) * 1000);
  }
}

/** Keeps `window` requests in flight until `total` completed; returns messages per second. */
async function pipelined(
  call: Call,
  data: Uint8Array,
  total: number,
  window: number,
): Promise<number> {
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const onDone = (): void => {
      done++;
      if (done === total) resolve();
      else pump();
    };
    const pump = (): void => {
      while (sent - done < window && sent < total) {
        sent++;
        call(data).then(onDone, reject);
      }
    };
    pump();
  });
  return total / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => percentile(xs, 50);

async function main(): Promise<void> {
  const token = generateToken();
  const server = await startServer(token);
  const link = await linkCall(server.link, token);
  const bare = await bareCall(server.bare);
  const sides = { link: link.call, bare: bare.call };
  const small = new Uint8Array(64).fill(7);
  const large = new Uint8Array(64 * 1024).fill(9);
  const ROUNDS = 5;

  // warm-up: JIT both paths and the server's
  for (const call of Object.values(sides)) {
    await roundTrips(call, small, 2000, []);
    await roundTrips(call, large, 200, []);
    await pipelined(call, small, 10_000, 64);
  }

  const rtt = {
    link: { small: [] as number[], large: [] as number[] },
    bare: { small: [] as number[], large: [] as number[] },
  };
  const tput = {
    link: { small: [] as number[], large: [] as number[] },
    bare: { small: [] as number[], large: [] as number[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (["link", "bare"] as const) : (["bare", "link"] as const);
    for (const side of order) {
      await roundTrips(sides[side], small, 2000, rtt[side].small);
      await roundTrips(sides[side], large, 300, rtt[side].large);
      tput[side].small.push(await pipelined(sides[side], small, 30_000, 64));
      tput[side].large.push(await pipelined(sides[side], large, 1000, 16));
    }
  }

  const mb = (msgs: number, size: number) => (msgs * size) / 1e6;
  const rows: BenchRow[] = [
    ratioRow(
      "rtt p50, 64 B",
      "µs",
      percentile(rtt.link.small, 50),
      percentile(rtt.bare.small, 50),
      "<= 1.2x",
    ),
    ratioRow("rtt p99, 64 B", "µs", percentile(rtt.link.small, 99), percentile(rtt.bare.small, 99)),
    ratioRow(
      "rtt p50, 64 KiB",
      "µs",
      percentile(rtt.link.large, 50),
      percentile(rtt.bare.large, 50),
      "<= 1.2x",
    ),
    ratioRow(
      "rtt p99, 64 KiB",
      "µs",
      percentile(rtt.link.large, 99),
      percentile(rtt.bare.large, 99),
    ),
    ratioRow(
      "pipelined, 64 B",
      "msgs/s",
      median(tput.link.small),
      median(tput.bare.small),
      ">= 0.9x",
    ),
    ratioRow(
      "pipelined, 64 B",
      "MB/s",
      mb(median(tput.link.small), 64),
      mb(median(tput.bare.small), 64),
      ">= 0.9x",
    ),
    ratioRow(
      "pipelined, 64 KiB",
      "msgs/s",
      median(tput.link.large),
      median(tput.bare.large),
      ">= 0.9x",
    ),
    ratioRow(
      "pipelined, 64 KiB",
      "MB/s",
      mb(median(tput.link.large), 65536),
      mb(median(tput.bare.large), 65536),
      ">= 0.9x",
    ),
  ];
  writeSuite("wire", rows);

  await link.close();
  bare.close();
  server.child.stdin!.end();
  await once(server.child, "exit");
}

await main();
