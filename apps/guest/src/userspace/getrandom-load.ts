import type { UserspaceProgram as ProgramConfig } from "@vmrng/wire";
import {
  errnoOf,
  isPanic,
  toHex,
  type UserspaceApi,
  UserspaceError,
  type UserspaceProgram,
} from "./api.js";

type Config = Extract<ProgramConfig, { program: "getrandom-load" }>;

interface LoadState {
  calls: number;
  errors: number;
  /** Virtual time the next call is due. */
  nextAtMs: number;
}

/**
 * getrandom(len, flags) every `everyMs` of virtual time, each result an event
 * `userspace.output` {program, bytes} for the history (the scenario checkers count every block).
 * It needs nothing from the hypervisor, so it keeps serving from the CRNG while the link is down
 * (the guest holds the events in its outbox until the hypervisor is back).
 */
export class GetrandomLoad implements UserspaceProgram {
  readonly name = "getrandom-load";
  private state: LoadState;
  private cancel: (() => void) | null = null;
  private running = false;

  constructor(
    private readonly api: UserspaceApi,
    private readonly config: Config,
    saved?: unknown,
  ) {
    this.state = saved === undefined ? { calls: 0, errors: 0, nextAtMs: 0 } : loadState(saved);
  }

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = null;
  }

  save(): LoadState {
    return { ...this.state };
  }

  private schedule(): void {
    if (!this.running) return;
    const wait = Math.max(0, this.state.nextAtMs - this.api.now());
    this.cancel = this.api.after(wait, () => void this.draw());
  }

  private async draw(): Promise<void> {
    if (!this.running) return;
    const { len, flags, everyMs } = this.config;
    // Due times stay on the grid of the first call; a late process skips missed slots.
    this.state.nextAtMs = Math.max(this.state.nextAtMs + everyMs, this.api.now());
    try {
      const bytes = await this.api.getrandom(len, flags);
      if (!this.running) return;
      this.state.calls++;
      this.api.emit("userspace.output", `getrandom(${len}, ${flags}) = ${len}`, {
        program: this.name,
        call: this.state.calls,
        flags,
        bytes: toHex(bytes),
      });
    } catch (e) {
      if (isPanic(e)) return this.stop();
      this.state.errors++;
      this.api.emit("userspace.error", `getrandom(${len}, ${flags}): ${errnoOf(e)}`, {
        program: this.name,
        errno: errnoOf(e),
      });
    }
    this.schedule();
  }
}

function loadState(v: unknown): LoadState {
  const s = v as Partial<LoadState> | null;
  const ok = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n >= 0;
  if (!s || !ok(s.calls) || !ok(s.errors) || !ok(s.nextAtMs)) {
    throw new UserspaceError(
      "BAD_STATE",
      "getrandom-load: saved state is not {calls, errors, nextAtMs}",
    );
  }
  return { calls: s.calls!, errors: s.errors!, nextAtMs: s.nextAtMs! };
}
