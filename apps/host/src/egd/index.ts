import { randomBytes } from "node:crypto";
import type { EgdSpec, RunDir } from "@vmrng/cluster";
import type { Clock } from "@vmrng/crng";
import type { ChannelStats } from "@vmrng/wire";
import type { EgdLog } from "./connection.js";
import { EgdEntropyPool } from "./pool.js";
import { EgdServer } from "./server.js";

export { EgdAccounting, EgdClientAccount } from "./accounting.js";
export { EgdClientGenerator } from "./client-generator.js";
export { EgdConnection, type EgdLog, type EgdLogLevel } from "./connection.js";
export { EgdError, type EgdErrorCode } from "./errors.js";
export { EgdRequestParser } from "./parser.js";
export { EGD_RESEED_BYTES, EGD_RESEED_INTERVAL_MS, EgdEntropyPool } from "./pool.js";
export * from "./protocol.js";
export { entropyLevelReply, nonBlockingReply, pidReply } from "./replies.js";
export { EgdServer, type EgdServerOptions } from "./server.js";
export { EgdSession, type EgdSessionOptions, type EgdStep } from "./session.js";

/** Wall time in ms for limiters and reseeds: the host has no virtual clock. */
export const wallClock: Clock = { now: () => performance.now() };

/**
 * The host's EGD server as the cluster file configures it: bytes come from the OS CSPRNG
 * through the EGD pool; the Unix socket path, when relative, is inside the run directory.
 */
export function startHostEgd(spec: EgdSpec, runDir: RunDir, log: EgdLog): Promise<EgdServer> {
  const clock = wallClock;
  const pool = new EgdEntropyPool({
    seedSource: (n) => new Uint8Array(randomBytes(n)),
    clock,
  });
  return EgdServer.start({
    port: spec.port,
    ...(spec.socketPath === undefined ? {} : { socketPath: runDir.egdSocketPath(spec.socketPath) }),
    rateLimit: {
      ...(spec.rateLimit.ops ? { ops: spec.rateLimit.ops } : {}),
      ...(spec.rateLimit.bytes ? { bandwidth: spec.rateLimit.bytes } : {}),
    },
    maxClients: spec.maxClients,
    pool,
    pid: process.pid,
    clock,
    log,
  });
}

/** The host's "egd" channel line in status: totals since the server started. */
export function egdChannel(server: EgdServer): ChannelStats {
  const a = server.accounting;
  return { channel: "egd", requests: a.requests, bytes: a.bytes, errors: a.dropped };
}
