/**
 * printk_ratelimit()-style limiting of our driver-error lines (DEFAULT_RATELIMIT_INTERVAL 5 s,
 * DEFAULT_RATELIMIT_BURST 10, include/linux/ratelimit_types.h), per channel, so a device that
 * misbehaves thousands of times cannot flush the rest of dmesg out of the ring. Events are not
 * limited: subscribers see every one.
 */
export class LineRatelimit {
  private readonly state = new Map<string, { begin: number; printed: number; missed: number }>();

  constructor(
    private readonly intervalMs = 5000,
    private readonly burst = 10,
  ) {}

  /** Whether to print now, and how many lines were suppressed since the last printed one. */
  check(key: string, at: number): { print: boolean; suppressed: number } {
    let s = this.state.get(key);
    if (!s || at - s.begin >= this.intervalMs) {
      const suppressed = s?.missed ?? 0;
      s = { begin: at, printed: 0, missed: 0 };
      this.state.set(key, s);
      s.printed++;
      return { print: true, suppressed };
    }
    if (s.printed < this.burst) {
      s.printed++;
      return { print: true, suppressed: 0 };
    }
    s.missed++;
    return { print: false, suppressed: 0 };
  }
}
