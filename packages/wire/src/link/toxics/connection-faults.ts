import type { Out, Stage, StageContext } from "./stage.js";

abstract class Holding implements Stage {
  abstract push(frame: Uint8Array): void;
  heldBytes(): number {
    return 0;
  }
  release(): void {
    this.dispose();
  }
  dispose(): void {}
}

/**
 * timeout: a blackhole. Every frame is swallowed (toxics/timeout.go drops "the data on the
 * ground"); with timeoutMs > 0 the connection is ended after that long. Toxiproxy re-arms its
 * timer on every chunk it swallows (a new time.After per loop turn), so a busy link there is
 * closed only after timeoutMs of silence; here the timer runs from when the toxic was added,
 * which is what the toxic's contract ("terminate after timeoutMs") promises a scenario.
 * Pings and pongs are swallowed too: the Link consults `blackholed` for its control frames.
 */
export class TimeoutStage extends Holding {
  #timer: NodeJS.Timeout | undefined;
  constructor(timeoutMs: number, ctx: StageContext, name: string) {
    super();
    if (timeoutMs > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        ctx.end(`toxic ${name}: timeout after ${timeoutMs} ms`);
      }, timeoutMs);
    }
  }
  push(): void {}
  override dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * reset_peer: after timeoutMs the TCP socket is destroyed with an RST (toxics/reset_peer.go
 * closes with SetLinger(0)). Frames reaching it meanwhile are dropped, as Toxiproxy drops the
 * chunk it consumed. Toxiproxy starts the clock at the first chunk of data; here it starts when
 * the toxic is added, so an idle link is reset too (a scenario's fault must fire on schedule).
 */
export class ResetPeerStage extends Holding {
  #timer: NodeJS.Timeout | undefined;
  constructor(timeoutMs: number, ctx: StageContext, name: string) {
    super();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      ctx.reset(`toxic ${name}: reset_peer`);
    }, timeoutMs);
  }
  push(): void {}
  override dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * limit_data: passes frames while the encoded bytes that passed stay within the budget, then
 * ends the connection (toxics/limit_data.go closes once bytesTransmitted reaches the limit).
 * Toxiproxy lets the first part of the chunk that crosses the limit through; a message cannot be
 * cut, so the crossing message is dropped whole and the connection ended.
 */
export class LimitDataStage extends Holding {
  #passed = 0;
  #ended = false;
  constructor(
    readonly bytes: number,
    readonly ctx: StageContext,
    readonly name: string,
    readonly out: Out,
  ) {
    super();
  }
  push(frame: Uint8Array): void {
    if (this.#ended) return;
    if (this.#passed + frame.byteLength <= this.bytes) {
      this.#passed += frame.byteLength;
      this.out(frame);
      if (this.#passed < this.bytes) return;
    }
    this.#ended = true;
    this.ctx.end(`toxic ${this.name}: limit_data ${this.bytes} bytes reached`);
  }
}

/**
 * slow_close: frames pass untouched; the close is what is delayed (toxics/slow_close.go holds the
 * EOF for `delay`). The Link asks the chain for the summed delay of its slow_close toxics when a
 * close goes out (send) or comes in (receive).
 */
export class SlowCloseStage extends Holding {
  constructor(
    readonly delayMs: number,
    readonly out: Out,
  ) {
    super();
  }
  push(frame: Uint8Array): void {
    this.out(frame);
  }
}
