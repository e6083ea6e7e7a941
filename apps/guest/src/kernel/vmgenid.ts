import { type EntropySink, VmGenIdDriver, type VmGenIdNotifyResult } from "@vmrng/devices";

/**
 * drivers/virt/vmgenid.c over an asynchronous memory read. The devices VmGenIdDriver reads the
 * id synchronously (it is guest memory); here the 16 bytes come from the hypervisor, so each
 * probe/notify first awaits the read, then runs the driver exactly once against those bytes.
 * Notifications are handled one after another, like ACPI's notify work queue.
 */
export class VmgenidChannel {
  private readonly driver: VmGenIdDriver;
  private bytes: Uint8Array = new Uint8Array(0);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    sink: EntropySink,
    private readonly read: () => Promise<Uint8Array>,
  ) {
    this.driver = new VmGenIdDriver(sink, () => this.bytes);
  }

  /** vmgenid_add(): this_id = the id in memory, add_device_randomness(this_id). */
  probe(id: Uint8Array): ReturnType<VmGenIdDriver["probe"]> {
    this.bytes = id.slice();
    return this.driver.probe();
  }

  /**
   * vmgenid_notify(): re-read, ignore an unchanged id, else add_vmfork_randomness() and the
   * NEW_VMGENID=1 uevent. `run` wraps the synchronous part (kernel bookkeeping).
   */
  notify(
    value: number,
    run: <T>(fn: () => T) => T,
  ): Promise<VmGenIdNotifyResult & { bytesRead: number }> {
    const p = this.queue.then(async () => {
      const id = await this.read();
      return run(() => {
        this.bytes = id instanceof Uint8Array ? id.slice() : new Uint8Array(0);
        return { ...this.driver.notify(value), bytesRead: this.bytes.length };
      });
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** this_id: what the driver last saw (null before probe). */
  get currentId(): Uint8Array | null {
    return this.driver.currentId;
  }

  /**
   * After a restore: resume with the id the parent had seen. Runs vmgenid_add() again, so the
   * caller passes a sink muted for this call (the restored pool already holds that id).
   */
  restoreId(id: Uint8Array): void {
    this.bytes = id.slice();
    this.driver.probe();
  }
}
