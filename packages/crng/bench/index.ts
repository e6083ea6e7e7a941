/**
 * crng benchmarks, each against a baseline measured in the same run on the same machine:
 *  - getrandom(32) through the vDSO-style batch vs node:crypto randomBytes(32) (OpenSSL);
 *  - getrandom(1 MiB) vs raw @noble/ciphers chacha20 keystream over a preallocated 1 MiB.
 * Extra rows show the cost of the kernel's 96-byte batch and of the bare syscall path.
 */
import { randomBytes } from "node:crypto";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { measureOpsPerSec, ratioRow, writeSuite } from "@vmrng/benchkit";
import { Crng, ManualClock, NoArchRandom } from "../src/index.js";

function readyCrng(vdsoBatchBlocks?: number): Crng {
  const crng = new Crng({
    clock: new ManualClock(10_000),
    arch: new NoArchRandom(),
    ...(vdsoBatchBlocks ? { vdsoBatchBlocks } : {}),
  });
  crng.addBootloaderRandomness(randomBytes(32));
  if (!crng.isReady) throw new Error("bench CRNG did not reach READY");
  return crng;
}

const MS = Number(process.env.BENCH_MS ?? 1500);
const MIB = 1 << 20;

const crng = readyCrng();
const kernelBatch = readyCrng(2);

const node32 = measureOpsPerSec(() => randomBytes(32), MS);
const ours32 = measureOpsPerSec(() => crng.getrandom(32), MS);
const ours32Kernel = measureOpsPerSec(() => kernelBatch.getrandom(32), MS);
const sys32 = measureOpsPerSec(() => crng.sysGetrandom(32), MS);

const key = randomBytes(32);
const nonce = new Uint8Array(12);
const src = new Uint8Array(MIB);
const dst = new Uint8Array(MIB);
const nobleMiB = measureOpsPerSec(() => chacha20(key, nonce, src, dst), MS);
const oursMiB = measureOpsPerSec(() => crng.getrandom(MIB), MS);
const sysMiB = measureOpsPerSec(() => crng.sysGetrandom(MIB), MS);
const mbps = (callsPerSec: number): number => (callsPerSec * MIB) / 1e6;

writeSuite("crng", [
  ratioRow("getrandom(32) vs randomBytes(32)", "calls/s", ours32, node32, ">= 10x"),
  ratioRow(
    "getrandom(1 MiB) vs noble chacha20 1 MiB",
    "MB/s",
    mbps(oursMiB),
    mbps(nobleMiB),
    ">= 0.9x",
  ),
  ratioRow(
    "getrandom(32), 96-byte kernel batch vs randomBytes(32)",
    "calls/s",
    ours32Kernel,
    node32,
  ),
  ratioRow("sysGetrandom(32) (no batch) vs randomBytes(32)", "calls/s", sys32, node32),
  ratioRow("sysGetrandom(1 MiB) vs noble chacha20 1 MiB", "MB/s", mbps(sysMiB), mbps(nobleMiB)),
]);
