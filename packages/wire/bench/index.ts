/**
 * Link vs bare ws + msgpackr, between this process and a child server process (bench/server.ts,
 * run through tsx exactly like this file). All sides echo; the order of the sides rotates and
 * round trips alternate request by request, so drift on a shared machine hits each alike. Rows: round-trip p50/p99 for 64 B and 64 KiB
 * payloads, pipelined throughput (msgs/s, payload MB/s one way), and the same for a Link with
 * write coalescing off, which isolates the Link's per-message cost.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type BenchRow, percentile, ratioRow, writeSuite } from "@vmrng/benchkit";
import { WebSocket } from "ws";
import { connectLink, generateToken } from "../src/index.js";
import { type BareEcho, barePackr, bareUnpackr, MAX_FRAME } from "./shared.js";

type Call = (data: Uint8Array) => Promise<unknown>;
interface Side {
  call: Call;
  close: () => Promise<void> | void;
}
interface Ports {
  link: number;
  plain: number;
  bare: number;
}

async function startServer(token: string): Promise<{ child: ChildProcess; ports: Ports }> {
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
  return { child, ports: JSON.parse(out.split("\n")[0]!) as Ports };
}

async function linkSide(port: number, token: string, coalesceWrites: boolean): Promise<Side> {
  const client = connectLink({
    url: `ws://127.0.0.1:${port}/`,
    token,
    role: "client",
    node: "bench",
    reconnect: false,
    limits: { maxFrameBytes: MAX_FRAME },
    coalesceWrites,
  });
  const link = await client.opened();
  return { call: (data) => link.request({ t: "echo", data }), close: () => client.close() };
}

async function bareSide(port: number): Promise<Side> {
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
const mb = (msgsPerSec: number, size: number): number => (msgsPerSec * size) / 1e6;

async function main(): Promise<void> {
  const token = generateToken();
  const { child, ports } = await startServer(token);
  const sides = {
    link: await linkSide(ports.link, token, true),
    plain: await linkSide(ports.plain, token, false),
    bare: await bareSide(ports.bare),
  };
  const small = new Uint8Array(64).fill(7);
  const large = new Uint8Array(64 * 1024).fill(9);

  // warm-up: JIT every path, here and in the server
  for (const side of Object.values(sides)) {
    await roundTrips(side.call, small, 2000, []);
    await roundTrips(side.call, large, 200, []);
    await pipelined(side.call, small, 10_000, 64);
    await pipelined(side.call, large, 300, 16);
  }

  type Series = { small: number[]; large: number[] };
  const series = (): Series => ({ small: [], large: [] });
  const rtt = { link: series(), plain: series(), bare: series() };
  const tput = { link: series(), plain: series(), bare: series() };
  const orders = [
    ["link", "plain", "bare"],
    ["bare", "link", "plain"],
    ["plain", "bare", "link"],
  ] as const;
  // Round trips alternate one request per side, so every side sees the same machine state
  // (scheduling on this shared 2-core box moves the whole RTT distribution between runs).
  for (let i = 0; i < 12_000; i++) {
    for (const name of orders[i % 3]!)
      await roundTrips(sides[name].call, small, 1, rtt[name].small);
  }
  for (let i = 0; i < 1_500; i++) {
    for (const name of orders[i % 3]!)
      await roundTrips(sides[name].call, large, 1, rtt[name].large);
  }
  // Throughput: short bursts, side after side, many rounds; the median burst is reported.
  for (let round = 0; round < 12; round++) {
    for (const name of orders[round % 3]!) {
      tput[name].small.push(await pipelined(sides[name].call, small, 10_000, 64));
      tput[name].large.push(await pipelined(sides[name].call, large, 400, 16));
    }
  }

  const p = (xs: number[], q: number) => percentile(xs, q);
  const rows: BenchRow[] = [
    ratioRow("rtt p50, 64 B", "µs", p(rtt.link.small, 50), p(rtt.bare.small, 50), "<= 1.2x"),
    ratioRow("rtt p99, 64 B", "µs", p(rtt.link.small, 99), p(rtt.bare.small, 99)),
    ratioRow("rtt p50, 64 KiB", "µs", p(rtt.link.large, 50), p(rtt.bare.large, 50), "<= 1.2x"),
    ratioRow("rtt p99, 64 KiB", "µs", p(rtt.link.large, 99), p(rtt.bare.large, 99)),
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
    ratioRow("no coalescing: rtt p50, 64 B", "µs", p(rtt.plain.small, 50), p(rtt.bare.small, 50)),
    ratioRow(
      "no coalescing: pipelined, 64 B",
      "msgs/s",
      median(tput.plain.small),
      median(tput.bare.small),
    ),
    ratioRow(
      "no coalescing: pipelined, 64 KiB",
      "msgs/s",
      median(tput.plain.large),
      median(tput.bare.large),
    ),
  ];
  writeSuite("wire", rows);

  for (const side of Object.values(sides)) await side.close();
  child.stdin!.end();
  await once(child, "exit");
}

await main();
