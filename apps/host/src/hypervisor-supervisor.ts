import { randomBytes } from "node:crypto";
import type { NodeChild } from "@vmrng/cluster";

/** Restart delays: the first, and the ceiling for one that keeps dying before it connects. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;

interface Supervised {
  id: string;
  /** Derives the tokens of this hypervisor's guests; kept across restarts so they can rejoin. */
  guestKey: string;
  child: NodeChild | null;
  incarnation: number;
  delayMs: number;
  /** Held down by a fault (kill with a duration): no restart until released. */
  held: boolean;
  timer: NodeJS.Timeout | undefined;
}

export interface SupervisorHooks {
  start: (id: string, guestKey: string, incarnation: number) => NodeChild;
  /** `restartInMs`: null when the hypervisor is held down and will not be restarted yet. */
  onExit: (id: string, code: number, restartInMs: number | null) => void;
}

/**
 * Keeps each hypervisor running, like systemd's Restart=on-failure with a growing RestartSec:
 * a hypervisor that exits while the cluster is up is started again; its guests, which outlive
 * it, reconnect to the new one. A fault may hold one down for a while.
 */
export class HypervisorSupervisor {
  private readonly all = new Map<string, Supervised>();
  private stopped = false;

  constructor(private readonly hooks: SupervisorHooks) {}

  add(id: string): void {
    const s: Supervised = {
      id,
      guestKey: randomBytes(32).toString("base64url"),
      child: null,
      incarnation: 0,
      delayMs: RESTART_MIN_MS,
      held: false,
      timer: undefined,
    };
    this.all.set(id, s);
    this.launch(s);
  }

  /**
   * The hypervisor connected: it started fine, so a later death is a one-off (a kill), restarted
   * after the shortest delay; only a hypervisor dying before it connects backs off further.
   */
  connected(id: string): void {
    const s = this.all.get(id);
    if (s) s.delayMs = RESTART_MIN_MS;
  }

  child(id: string): NodeChild | null {
    return this.all.get(id)?.child ?? null;
  }

  /** SIGKILLs a hypervisor; with `hold`, it stays down until release(). */
  kill(id: string, opts: { hold: boolean }): void {
    const s = this.need(id);
    s.held = opts.hold;
    s.child?.proc.kill("SIGKILL");
  }

  /** Lets a held hypervisor run again (at once, if it is down). */
  release(id: string): void {
    const s = this.all.get(id);
    if (!s?.held) return;
    s.held = false;
    if (!s.child && !this.stopped) {
      clearTimeout(s.timer);
      this.launch(s);
    }
  }

  /** The cluster is stopping: nothing is restarted any more. */
  stopAll(): void {
    this.stopped = true;
    for (const s of this.all.values()) clearTimeout(s.timer);
  }

  private need(id: string): Supervised {
    const s = this.all.get(id);
    if (!s) throw new Error(`no hypervisor ${id}`);
    return s;
  }

  private launch(s: Supervised): void {
    s.incarnation += 1;
    const child = this.hooks.start(s.id, s.guestKey, s.incarnation);
    s.child = child;
    void child.exited.then((code) => {
      if (s.child !== child) return;
      s.child = null;
      if (this.stopped) return;
      if (s.held) {
        this.hooks.onExit(s.id, code, null);
        return;
      }
      const delay = s.delayMs;
      s.delayMs = Math.min(RESTART_MAX_MS, s.delayMs * 2);
      this.hooks.onExit(s.id, code, delay);
      s.timer = setTimeout(() => {
        if (!this.stopped && !s.held && !s.child) this.launch(s);
      }, delay);
    });
  }
}
