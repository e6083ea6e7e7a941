import { toHex } from "@vmrng/devices";
import { isolated } from "./args.js";
import type { KernelConsole } from "./console.js";

/** What a userspace vmfork subscriber learns (the NEW_VMGENID=1 uevent, or a counter change). */
export interface VmforkNotice {
  at: number;
  source: "vmgenid" | "counter";
  /** vmgenid: the new 16-byte id. */
  id?: Uint8Array;
  /** vmgenid: the uevent udev would see. */
  uevent?: { action: "change"; env: string[] };
  /** counter: vm_generation_counter before and after. */
  previous?: bigint;
  counter?: bigint;
}

/** The "vmfork" event for the history plus the userspace subscribers. */
export class VmforkNotifier {
  private readonly listeners = new Set<(n: VmforkNotice) => void>();

  constructor(private readonly con: KernelConsole) {}

  subscribe(listener: (n: VmforkNotice) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(n: VmforkNotice): void {
    const what =
      n.source === "vmgenid"
        ? `vmgenid changed to ${n.id ? toHex(n.id) : "?"}: ${n.uevent?.env.join(" ") ?? ""}`
        : `generation counter ${n.previous} -> ${n.counter}`;
    this.con.emitAt(n.at, "vmfork", what, {
      source: n.source,
      ...(n.id ? { id: toHex(n.id) } : {}),
      ...(n.uevent ? { uevent: n.uevent.env } : {}),
      ...(n.counter !== undefined ? { counter: n.counter, previous: n.previous } : {}),
    });
    for (const l of [...this.listeners]) isolated(() => l(n));
  }
}
