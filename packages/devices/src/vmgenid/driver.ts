import { bytesEqual } from "../bytes.js";
import type { EntropySink } from "../sink.js";
import { VMGENID_SIZE } from "./device.js";

/** The uevent vmgenid_notify() sends (kobject_uevent_env KOBJ_CHANGE). */
export const NEW_VMGENID_UEVENT = "NEW_VMGENID=1";

export type VmGenIdNotifyResult =
  | { kind: "unchanged" }
  | { kind: "vmfork"; id: Uint8Array; uevent: { action: "change"; env: string[] } }
  | { kind: "driver-error"; code: "BAD_ID_LENGTH" | "NOT_PROBED"; message: string };

/**
 * drivers/virt/vmgenid.c: vmgenid_add() copies the ID and add_device_randomness()es it;
 * vmgenid_notify() re-reads it, returns if unchanged (memcmp), else add_vmfork_randomness()
 * and a NEW_VMGENID=1 uevent. The notify value is not checked, as in Linux.
 */
export class VmGenIdDriver {
  private thisId: Uint8Array | null = null;

  constructor(
    private readonly sink: EntropySink,
    /** Reads the 16 bytes at the ADDR the firmware announced (the hypervisor's current ID). */
    private readonly readId: () => Uint8Array,
  ) {}

  probe(): VmGenIdNotifyResult | { kind: "probed" } {
    const id = this.readId();
    if (id.length !== VMGENID_SIZE) {
      return { kind: "driver-error", code: "BAD_ID_LENGTH", message: `ID of ${id.length} bytes` };
    }
    this.thisId = id.slice();
    this.sink.addDeviceRandomness(this.thisId.slice());
    return { kind: "probed" };
  }

  notify(_event: number): VmGenIdNotifyResult {
    if (!this.thisId) {
      return { kind: "driver-error", code: "NOT_PROBED", message: "notify before probe" };
    }
    const next = this.readId();
    if (next.length !== VMGENID_SIZE) {
      return { kind: "driver-error", code: "BAD_ID_LENGTH", message: `ID of ${next.length} bytes` };
    }
    const old = this.thisId;
    this.thisId = next.slice();
    if (bytesEqual(old, this.thisId)) return { kind: "unchanged" };
    this.sink.addVmforkRandomness(this.thisId.slice());
    return {
      kind: "vmfork",
      id: this.thisId.slice(),
      uevent: { action: "change", env: [NEW_VMGENID_UEVENT] },
    };
  }

  /** The ID the driver last saw (this_id). */
  get currentId(): Uint8Array | null {
    return this.thisId?.slice() ?? null;
  }
}
