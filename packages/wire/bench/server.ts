/**
 * The benchmark's server process: a Link server and a bare ws + msgpackr server, both echoing,
 * in one child process so both are measured across the same process boundary and runtime.
 * Prints {"link": port, "plain": port, "bare": port} on stdout once all listen ("plain" is a
 * Link server with write coalescing off).
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { createLinkServer, TokenRegistry } from "../src/index.js";
import { type BareEcho, barePackr, bareUnpackr, MAX_FRAME } from "./shared.js";

const token = process.env.BENCH_TOKEN;
if (token === undefined) throw new Error("BENCH_TOKEN not set");

const tokens = new TokenRegistry();
tokens.add(token, { role: "client", node: "bench" });
const link = await createLinkServer({
  role: "host",
  node: "bench-host",
  tokens,
  limits: { maxFrameBytes: MAX_FRAME },
});
link.handle("echo", (m) => ({ t: "echo.reply", data: m.data }));
// The same Link without write coalescing, to show the per-message cost on its own.
const plain = await createLinkServer({
  role: "host",
  node: "bench-host",
  tokens,
  limits: { maxFrameBytes: MAX_FRAME },
  coalesceWrites: false,
});
plain.handle("echo", (m) => ({ t: "echo.reply", data: m.data }));

const bare = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: false,
  maxPayload: MAX_FRAME,
});
await new Promise<void>((r) => bare.once("listening", () => r()));
bare.on("connection", (ws) => {
  const packr = barePackr();
  const unpackr = bareUnpackr();
  ws.on("message", (data: Buffer) => {
    const m = unpackr.unpack(data) as BareEcho;
    ws.send(packr.pack({ t: "echo.reply", re: m.id, data: m.data }));
  });
});

process.stdout.write(
  `${JSON.stringify({ link: link.port, plain: plain.port, bare: (bare.address() as AddressInfo).port })}\n`,
);
// Exit with the parent: it closes our stdin.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
