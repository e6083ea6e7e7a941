import type { Event, EventsSubscribe, Link } from "@vmrng/wire";

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

interface Subscription {
  link: Link;
  nodes: Set<string> | null;
  kinds: Set<string> | null;
  minLevel: number;
  dropped: number;
}

/**
 * Client event subscriptions. Delivery never blocks the host: a subscriber whose link cannot
 * take more (its outgoing queue is full) loses events, counted per subscription, rather than
 * growing the host's memory.
 */
export class Subscriptions {
  private next = 1;
  private readonly subs = new Map<number, Subscription>();

  add(link: Link, req: EventsSubscribe): number {
    const sub = this.next++;
    this.subs.set(sub, {
      link,
      nodes: req.nodes ? new Set(req.nodes) : null,
      kinds: req.kinds ? new Set(req.kinds) : null,
      minLevel: LEVELS.indexOf(req.minLevel ?? "debug"),
      dropped: 0,
    });
    link.on("close", () => this.subs.delete(sub));
    return sub;
  }

  remove(link: Link, sub: number): boolean {
    const s = this.subs.get(sub);
    if (!s || s.link !== link) return false;
    return this.subs.delete(sub);
  }

  publish(event: Omit<Event, "t" | "sub">): void {
    const level = LEVELS.indexOf(event.level as Level);
    for (const [sub, s] of this.subs) {
      if (s.nodes && !s.nodes.has(event.node)) continue;
      if (s.kinds && !s.kinds.has(event.kind)) continue;
      if (level < s.minLevel) continue;
      if (s.link.state !== "open") continue;
      try {
        s.link.send({ t: "event", sub, ...event });
      } catch {
        s.dropped += 1;
      }
    }
  }

  get size(): number {
    return this.subs.size;
  }
}
