import { type PendingUpgrade, startUpgrade } from "@vmrng/wire/upgrade";
import { type EarlyStart, setEarlyStart } from "./early.js";

/** The client's connect timeout (wire's default), for the upgrade and welcome together. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * The first thing a guest does: read who it is, and send its upgrade request to the hypervisor
 * (the wire's upgrade client needs only node:net and node:crypto), so the hypervisor
 * authenticates it while the rest of the guest (main.ts: the Link, the catalogue, the kernel)
 * is still loading: the two overlap instead of adding up. main.ts adopts that connection;
 * reconnects to a restarted hypervisor dial afresh, as any client does.
 */
export function dialHypervisor(): EarlyStart {
  const id = process.env.VMRNG_NODE_ID ?? "";
  const url = process.env.VMRNG_HV_URL ?? "";
  const token = process.env.VMRNG_TOKEN ?? "";
  if (!id || !url || !token) {
    console.error(
      "guest: VMRNG_NODE_ID, VMRNG_HV_URL and VMRNG_TOKEN must be set (the hypervisor starts guests)",
    );
    process.exit(2);
  }
  delete process.env.VMRNG_TOKEN;
  let firstUpgrade: PendingUpgrade | undefined;
  try {
    firstUpgrade = startUpgrade({
      url,
      token,
      role: "guest",
      node: id,
      timeoutMs: CONNECT_TIMEOUT_MS,
    });
  } catch {
    // not a ws:// URL (wss://, or malformed): main.ts connects as any client would, and reports
  }
  const early = { id, url, token, ...(firstUpgrade ? { firstUpgrade } : {}) };
  setEarlyStart(early);
  return early;
}

/**
 * When to load the rest: once the TCP connection is up. net writes the queued request only then,
 * from the event loop, so loading first (synchronous work) would hold the request back.
 */
export function whenDialed(early: EarlyStart): Promise<void> {
  return early.firstUpgrade?.dialed ?? Promise.resolve();
}
