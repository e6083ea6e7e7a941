import type { EgdClientStatus, EgdStatus } from "@vmrng/wire";

/** One client's counters, since it connected. */
export class EgdClientAccount {
  requests = 0n;
  bytes = 0n;
  mixedBytes = 0n;
  throttled = 0n;

  constructor(
    readonly client: string,
    readonly connectedAt: number,
    private readonly totals: EgdAccounting,
  ) {}

  request(): void {
    this.requests += 1n;
    this.totals.requests += 1n;
  }

  served(n: number): void {
    this.bytes += BigInt(n);
    this.totals.bytes += BigInt(n);
  }

  mixed(n: number): void {
    this.mixedBytes += BigInt(n);
    this.totals.mixedBytes += BigInt(n);
  }

  throttle(): void {
    this.throttled += 1n;
  }

  status(now: number): EgdClientStatus {
    return {
      client: this.client,
      connectedMs: Math.max(0, now - this.connectedAt),
      requests: this.requests,
      bytes: this.bytes,
      mixedBytes: this.mixedBytes,
      throttled: this.throttled,
    };
  }
}

/**
 * Who drew what from the EGD server: per connected client, and totals since the server started
 * (closed clients included), as `status` reports them.
 */
export class EgdAccounting {
  connections = 0n;
  dropped = 0n;
  requests = 0n;
  bytes = 0n;
  mixedBytes = 0n;
  private readonly open = new Set<EgdClientAccount>();

  connect(client: string, now: number): EgdClientAccount {
    const acc = new EgdClientAccount(client, now, this);
    this.connections += 1n;
    this.open.add(acc);
    return acc;
  }

  /** The client is gone; `dropped` when the host closed it for bad input or not reading. */
  disconnect(acc: EgdClientAccount, dropped: boolean): void {
    if (!this.open.delete(acc)) return;
    if (dropped) this.dropped += 1n;
  }

  get clientCount(): number {
    return this.open.size;
  }

  status(now: number, where: { port: number; socketPath?: string }): EgdStatus {
    return {
      port: where.port,
      ...(where.socketPath === undefined ? {} : { socketPath: where.socketPath }),
      connections: this.connections,
      dropped: this.dropped,
      requests: this.requests,
      bytes: this.bytes,
      mixedBytes: this.mixedBytes,
      clients: [...this.open].slice(0, 1024).map((a) => a.status(now)),
    };
  }
}
