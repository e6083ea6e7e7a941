/**
 * struct ratelimit_state with RATELIMIT_MSG_ON_RELEASE, and ___ratelimit() (lib/ratelimit.c,
 * v6.12): at most `burst` passes per `interval` jiffies; the window restarts on the first call
 * after it has expired. With MSG_ON_RELEASE the "callbacks suppressed" line is not printed and
 * `missed` keeps counting until its owner reads it (random.c prints it at "crng init done").
 */
export interface RatelimitSnapshot {
  interval: number;
  burst: number;
  printed: number;
  missed: number;
  begin: number;
}

export class Ratelimit {
  printed = 0;
  missed = 0;
  begin = 0;
  constructor(
    readonly interval: number,
    readonly burst: number,
  ) {}

  /** __ratelimit(): true = go ahead and print. `now` is jiffies. */
  check(now: number): boolean {
    if (!this.interval) return true;
    if (!this.begin) this.begin = now;
    // time_is_before_jiffies(rs->begin + interval)
    if (now > this.begin + this.interval) {
      this.begin = now;
      this.printed = 0;
    }
    if (this.burst && this.burst > this.printed) {
      this.printed++;
      return true;
    }
    this.missed++;
    return false;
  }

  /** ratelimit_state_inc_miss(). */
  incMiss(): void {
    this.missed++;
  }

  snapshot(): RatelimitSnapshot {
    return {
      interval: this.interval,
      burst: this.burst,
      printed: this.printed,
      missed: this.missed,
      begin: this.begin,
    };
  }

  static restore(s: RatelimitSnapshot): Ratelimit {
    const r = new Ratelimit(s.interval, s.burst);
    r.printed = s.printed;
    r.missed = s.missed;
    r.begin = s.begin;
    return r;
  }
}
