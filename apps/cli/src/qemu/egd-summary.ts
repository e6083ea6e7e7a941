import type { EgdStatus } from "@vmrng/wire";

/** One line of the host's EGD accounting, as the demo prints it between console lines. */
export function egdSummary(egd: EgdStatus): string {
  const clients = egd.clients
    .map((c) => `${c.client}: ${c.bytes} bytes in ${c.requests} requests`)
    .join("; ");
  return (
    `host EGD on 127.0.0.1:${egd.port}: ${egd.bytes} bytes served in ${egd.requests} requests ` +
    `to ${egd.connections} connection${egd.connections === 1n ? "" : "s"}` +
    (egd.dropped ? ` (${egd.dropped} dropped)` : "") +
    (clients ? ` — now: ${clients}` : " — no client connected now")
  );
}
