import { type ByteSource, ChaChaDrbg } from "@vmrng/devices";

/** Reseed the hypervisor DRBG from the host at least this often, and after this many bytes. */
const RESEED_INTERVAL_MS = 5_000;
const RESEED_AFTER_BYTES = 1 << 20;
const SEED_BYTES = 32;

/**
 * The hypervisor's own ChaCha20 DRBG, seeded and periodically reseeded with fresh bytes from
 * the host's CSPRNG. Device requests draw from it synchronously, so a guest never waits on a
 * round trip to the host; reseeding happens in the background.
 */
export class HostEntropy implements ByteSource {
  private drbg: ChaChaDrbg | null = null;
  private inflight = false;
  private lastReseed = 0;
  private timer: NodeJS.Timeout | undefined;
  reseeds = 0;

  constructor(private readonly fetch: (n: number) => Promise<Uint8Array>) {}

  /** Gets the first seed; nothing is served before it. */
  async start(): Promise<void> {
    this.drbg = new ChaChaDrbg(await this.fetch(SEED_BYTES));
    this.lastReseed = performance.now();
    this.timer = setInterval(() => this.maybeReseed(), RESEED_INTERVAL_MS);
    this.timer.unref();
  }

  generate(n: number): Uint8Array {
    if (!this.drbg) throw new Error("host entropy not seeded yet");
    const out = this.drbg.generate(n);
    if (this.drbg.bytesSinceReseed >= RESEED_AFTER_BYTES) this.maybeReseed();
    return out;
  }

  private maybeReseed(): void {
    if (this.inflight || !this.drbg) return;
    this.inflight = true;
    this.fetch(SEED_BYTES)
      .then((fresh) => {
        this.drbg!.reseed(fresh);
        this.reseeds += 1;
        this.lastReseed = performance.now();
      })
      .catch(() => {
        // The host is unreachable: keep serving from the current key (it still erases itself
        // after every generate) and try again at the next interval.
      })
      .finally(() => {
        this.inflight = false;
      });
  }

  get msSinceReseed(): number {
    return performance.now() - this.lastReseed;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
