import { EventEmitter } from "node:events";

/**
 * A typed facade over EventEmitter. Event names never include "error", so an event nobody
 * listens to is simply dropped instead of throwing. Events are emitted from socket callbacks,
 * so a listener that throws must not unwind into ws (that would crash the process): each
 * listener runs on its own, and a throw is handed to `listenerFailed`.
 */
export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  readonly #ee = new EventEmitter();

  constructor() {
    this.#ee.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    // rawListeners keeps once() wrappers, which remove themselves when called.
    const listeners = this.#ee.rawListeners(event) as ((...a: unknown[]) => void)[];
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (e) {
        this.listenerFailed(event, e);
      }
    }
    return listeners.length > 0;
  }

  /** A listener threw. The default reports it as a process warning; subclasses may route it. */
  protected listenerFailed(event: string, error: unknown): void {
    process.emitWarning(
      `listener for "${event}" threw: ${(error as Error)?.message ?? String(error)}`,
      "VmrngWireListenerWarning",
    );
  }
}
