/**
 * Virtual time, as the emulated kernel sees it. Pure packages never read the wall clock: a
 * process passes a clock in (scaled wall time), tests pass a ManualClock and step it.
 * Units: milliseconds since boot, fractional values allowed (log lines print microseconds).
 */
export interface Clock {
  now(): number;
}

/** A clock that only moves when told to: for tests and replay. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`clock cannot move backwards (advance by ${ms})`);
    this.t += ms;
  }
  set(ms: number): void {
    if (!(ms >= this.t)) throw new RangeError(`clock cannot move backwards (${this.t} -> ${ms})`);
    this.t = ms;
  }
}
