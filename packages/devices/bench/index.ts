import { chacha20 } from "@noble/ciphers/chacha.js";
import { measureOpsPerSec, ratioRow, writeSuite } from "@vmrng/benchkit";
import type { Clock } from "@vmrng/crng";
import { ChaChaDrbg, type EntropySink, VirtioRngDevice, VirtioRngDriver } from "../src/index.js";

// A frozen virtual clock (type-only dependency on @vmrng/crng: nothing of it runs here).
const clock: Clock = { now: () => 0 };

// Baseline: one raw ChaCha20 keystream of 64 bytes, fixed key, no erasure, no device.
const key = new Uint8Array(32).fill(1);
const nonce = new Uint8Array(12);
const zeros = new Uint8Array(64);
const raw = measureOpsPerSec(() => chacha20(key, nonce, zeros));

// The DRBG alone: 32 + 64 bytes of keystream and a key swap per call.
const drbg = new ChaChaDrbg(new Uint8Array(32).fill(2));
const drbgOps = measureOpsPerSec(() => drbg.generate(64));

// The device: post one 64-byte buffer and kick, as a guest's request_entropy() does.
const dev = new VirtioRngDevice({ clock, source: new ChaChaDrbg(new Uint8Array(32).fill(3)) });
let id = 0;
const devOps = measureOpsPerSec(() => {
  dev.post({ id, len: 64 });
  id = (id + 1) % dev.queueSize;
  return dev.kick();
});

// Driver and device in one loop: one op = one credited 64-byte read of the hwrng kthread
// (post, device fill, used, copy, add_hwgenerator_randomness).
let credited = 0;
const sink: EntropySink = {
  addBootloaderRandomness() {},
  addDeviceRandomness() {},
  addHwgeneratorRandomness: () => {
    credited += 1;
    return 0;
  },
  addVmforkRandomness() {},
};
const dev2 = new VirtioRngDevice({ clock, source: new ChaChaDrbg(new Uint8Array(32).fill(4)) });
const drv = new VirtioRngDriver({ sink, clock, queueSize: dev2.queueSize });
drv.probe();
drv.register();
const roundTrip = measureOpsPerSec(() => {
  const target = credited + 1;
  for (let guard = 0; credited < target; guard++) {
    if (guard > 16) throw new Error("driver stopped crediting");
    const a = drv.next();
    if (a.kind === "post") {
      dev2.post({ id: a.id, len: a.len });
      for (const u of dev2.kick()) drv.onUsed(u.id, u.bytes);
    }
  }
  return drv.drainEvents();
});

writeSuite("devices-pure", [
  ratioRow("ChaChaDrbg.generate(64) vs raw chacha20(64)", "ops/s", drbgOps, raw, ">= 0.5x"),
  ratioRow("virtio-rng device post+kick 64B vs raw chacha20(64)", "ops/s", devOps, raw, ">= 0.3x"),
  ratioRow(
    "credited 64B read (driver+device) vs raw chacha20(64)",
    "ops/s",
    roundTrip,
    raw,
    ">= 0.2x",
  ),
]);
