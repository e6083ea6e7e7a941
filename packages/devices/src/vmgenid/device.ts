import type { Clock } from "@vmrng/crng";
import { type ChannelAccounting, ChannelCounters } from "../accounting.js";
import { bytesEqual } from "../bytes.js";
import { DeviceConfigError } from "../errors.js";

/** VMGENID_SIZE (drivers/virt/vmgenid.c): the generation ID is a 128-bit value. */
export const VMGENID_SIZE = 16;
/** The ACPI notification a VM Generation ID device raises when the ID changes. */
export const ACPI_NOTIFY_VMGENID = 0x80;

export interface AcpiNotify {
  kind: "acpi-notify";
  /** Notify(VGEN, 0x80). */
  value: number;
}

/**
 * The hypervisor side of "Virtual Machine Generation ID": 16 bytes in guest memory (at the
 * address the ACPI ADDR method returns) that change whenever the VM is restored from a
 * snapshot or cloned, followed by an ACPI Notify(0x80). The new ID is written before the
 * guest resumes; the notification arrives afterwards, which is the duplicate-output window.
 */
export class VmGenIdDevice {
  private current: Uint8Array;
  private generations = 0;
  private readonly counters = new ChannelCounters("vmgenid");

  constructor(
    private readonly randomBytes: (n: number) => Uint8Array,
    private readonly clock: Clock,
    initialId?: Uint8Array,
  ) {
    this.current = initialId ? this.checked(initialId.slice()) : this.fresh();
    this.counters.served(VMGENID_SIZE, clock.now());
  }

  private checked(id: Uint8Array): Uint8Array {
    if (id.length !== VMGENID_SIZE) {
      throw new DeviceConfigError(
        "BAD_VMGENID",
        `generation ID must be 16 bytes, got ${id.length}`,
      );
    }
    return id;
  }

  /** Like QEMU's guid=auto: a fresh random 128-bit value, never equal to the current one. */
  private fresh(): Uint8Array {
    for (;;) {
      const id = this.checked(this.randomBytes(VMGENID_SIZE).slice());
      if (!this.current || !bytesEqual(id, this.current)) return id;
    }
  }

  /** The 16 bytes as the guest reads them from memory. */
  get id(): Uint8Array {
    return this.current.slice();
  }

  get generation(): number {
    return this.generations;
  }

  /** Restore or clone: write a new ID, then raise Notify(0x80). */
  newGeneration(): { id: Uint8Array; notify: AcpiNotify } {
    this.current = this.fresh();
    this.generations += 1;
    this.counters.served(VMGENID_SIZE, this.clock.now());
    return { id: this.id, notify: { kind: "acpi-notify", value: ACPI_NOTIFY_VMGENID } };
  }

  /**
   * Writes an id of the hypervisor's choosing (fault injection): the one before the last
   * generation change (a restore that forgot to change it) or an attacker-known one.
   */
  writeId(id: Uint8Array): void {
    this.current = this.checked(id.slice());
    this.counters.served(VMGENID_SIZE, this.clock.now());
  }

  accounting(): ChannelAccounting {
    return this.counters.snapshot();
  }
}
