import type { GuestEvent, GuestEventBus } from "./events.js";
import type { KernelLog, LogLevel } from "./printk.js";
import { LineRatelimit } from "./ratelimit.js";
import type { KernelClock } from "./timeline.js";

/** printk and the event stream, stamped with the kernel's virtual time. */
export class KernelConsole {
  private readonly errorLines = new LineRatelimit();

  constructor(
    private readonly clock: KernelClock,
    readonly log: KernelLog,
    readonly bus: GuestEventBus,
  ) {}

  printk(level: LogLevel, text: string, upstream = true): void {
    this.printkAt(this.clock.now(), level, text, upstream);
  }

  /** A log line at `at` (CRNG events carry the time of the code that emitted them). */
  printkAt(at: number, level: LogLevel, text: string, upstream = true): void {
    const l = this.log.push(at, level, text, upstream);
    this.bus.emit({ at, kind: "log", message: text, data: { level, upstream, line: l.line } });
  }

  /** A device misbehaved or a probe failed: an event always, a rate-limited warning line. */
  driverError(channel: string, message: string, data: Record<string, unknown> = {}): void {
    const rl = this.errorLines.check(channel, this.clock.now());
    if (rl.suppressed > 0) {
      this.printk("warning", `vmrng: ${channel}: ${rl.suppressed} messages suppressed`, false);
    }
    if (rl.print) this.printk("warning", `vmrng: ${channel}: ${message}`, false);
    this.emit("driver-error", message, { channel, ...data });
  }

  emit(kind: GuestEvent["kind"], message: string, data?: Record<string, unknown>): void {
    this.emitAt(this.clock.now(), kind, message, data);
  }

  emitAt(
    at: number,
    kind: GuestEvent["kind"],
    message: string,
    data?: Record<string, unknown>,
  ): void {
    this.bus.emit({ at, kind, message, ...(data ? { data } : {}) });
  }
}
