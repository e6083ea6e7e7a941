/**
 * jiffies on the virtual clock. The kernel starts jiffies at INITIAL_JIFFIES (include/linux/jiffies.h:
 * `((unsigned long)(unsigned int) (-300*HZ))`, five minutes before the 32-bit wrap) so that wrap
 * bugs show early; fast_pool->last = 0 and ratelimit's `begin` rely on that offset, so we keep it.
 * 64-bit jiffies never wrap here, so time_after() is a plain comparison.
 */
export class Jiffies {
  readonly initial: number;
  constructor(readonly hz: number) {
    this.initial = 2 ** 32 - 300 * hz;
  }
  /** jiffies at virtual time `ms` (ms since boot). */
  at(ms: number): number {
    return this.initial + Math.floor((ms * this.hz) / 1000);
  }
  /** The virtual time at which jiffies becomes `j` (the tick that timers expiring at `j` run on). */
  msOf(j: number): number {
    return ((j - this.initial) * 1000) / this.hz;
  }
  /** A timer with `expires = jiffies` runs on the next tick. */
  nextTick(ms: number): number {
    return this.msOf(this.at(ms) + 1);
  }
  /** queue_delayed_work(..., delay): runs when jiffies reaches now + delay. */
  after(ms: number, delayJiffies: number): number {
    return this.msOf(this.at(ms) + delayJiffies);
  }
  toMs(j: number): number {
    return (j * 1000) / this.hz;
  }
}
