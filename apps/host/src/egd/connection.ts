import type { Socket } from "node:net";
import { EgdError } from "./errors.js";
import type { EgdSession } from "./session.js";

export type EgdLogLevel = "info" | "warn";
export type EgdLog = (level: EgdLogLevel, message: string) => void;

export interface EgdConnectionOptions {
  /** Close a client whose started request has not been completed for this long. */
  requestTimeoutMs: number;
  /** Close a client whose replies have not drained (it stopped reading) for this long. */
  stallTimeoutMs: number;
  /** Requests handled in one event-loop turn before yielding to other clients. */
  turnRequests: number;
  log: EgdLog;
  /** Called once when the socket is gone; `dropped` when the host closed it for cause. */
  onClose: (dropped: boolean) => void;
}

/** After a protocol error, how long earlier replies may take to flush before the socket goes. */
const FLUSH_GRACE_MS = 1000;

/**
 * One EGD client's socket, wired to its EgdSession. The socket is read only while the session
 * has nothing left to handle: while a request waits for the rate limiter, for the socket to
 * drain, or for the next turn, reading pauses, so TCP flow control (not host memory) holds a
 * client that sends faster than it reads. Each turn handles a bounded number of requests and
 * then yields, so one client's pipelined burst never stalls the others.
 */
export class EgdConnection {
  private closing = false;
  private dropped = false;
  private inputEnded = false;
  private needDrain = false;
  private inputPaused = false;
  private waitTimer: NodeJS.Timeout | null = null;
  private requestTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private turn: NodeJS.Immediate | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly session: EgdSession,
    readonly label: string,
    private readonly o: EgdConnectionOptions,
  ) {
    socket.on("data", (chunk: Buffer) => {
      if (this.closing) return;
      this.clearRequestTimer();
      session.receive(chunk);
      this.pump();
    });
    socket.on("drain", () => {
      if (!this.needDrain) return;
      this.needDrain = false;
      this.clearStallTimer();
      this.pump();
    });
    socket.on("end", () => {
      this.inputEnded = true;
      this.pump();
    });
    socket.on("error", (err) => {
      if (!this.closing) o.log("info", `${label}: ${err.message}`);
      socket.destroy();
    });
    socket.once("close", () => {
      this.closing = true;
      this.clearTimers();
      o.onClose(this.dropped);
    });
  }

  /** What this client holds in host memory: received-unparsed and written-unsent bytes. */
  backlog(): { client: string; unparsed: number; unsent: number } {
    return {
      client: this.label,
      unparsed: this.session.bufferedBytes,
      unsent: this.socket.writableLength,
    };
  }

  /** Ends the connection now (host shutdown). */
  destroy(): void {
    this.closing = true;
    this.clearTimers();
    this.socket.destroy();
  }

  /** Handles what the session can, until it needs input, time, a drain or the next turn. */
  private pump(): void {
    if (this.closing || this.needDrain || this.waitTimer !== null || this.turn !== null) return;
    // The first reply of a turn goes out at once (QEMU waits on it); later ones in the same
    // turn (a pipelined burst) are corked into one writev.
    let replies = 0;
    try {
      for (let handled = 0; ; handled++) {
        if (handled === this.o.turnRequests) {
          this.pauseInput();
          this.turn = setImmediate(() => {
            this.turn = null;
            this.pump();
          });
          return;
        }
        const step = this.session.step();
        switch (step.kind) {
          case "reply":
            if (step.bytes.length === 0) continue;
            if (replies++ === 1) this.socket.cork();
            if (!this.socket.write(step.bytes)) {
              this.needDrain = true;
              this.pauseInput();
              this.armStallTimer();
              return;
            }
            continue;
          case "handled":
            continue;
          case "wait":
            this.pauseInput();
            this.waitTimer = setTimeout(() => {
              this.waitTimer = null;
              this.pump();
            }, step.ms);
            return;
          case "error":
            this.fail(step.error);
            return;
          case "idle":
            if (this.inputEnded) {
              if (this.session.midRequest)
                this.fail(
                  new EgdError(
                    "E_EGD_TRUNCATED",
                    `${this.session.describePartial()} at end of stream`,
                  ),
                );
              else this.socket.end();
              return;
            }
            this.resumeInput();
            if (this.session.midRequest) this.armRequestTimer();
            this.session.prefill();
            return;
        }
      }
    } finally {
      if (replies > 1) this.socket.uncork();
    }
  }

  /** Stops reading (Node's resume() is not free, so both track what they did). */
  private pauseInput(): void {
    if (this.inputPaused) return;
    this.inputPaused = true;
    this.socket.pause();
  }

  private resumeInput(): void {
    if (!this.inputPaused) return;
    this.inputPaused = false;
    this.socket.resume();
  }

  /** Bad input: log it, flush the replies already due, close. */
  private fail(error: EgdError): void {
    if (this.closing) return;
    this.o.log("warn", `${this.label}: ${error.message}; closing the connection (${error.code})`);
    this.closing = true;
    this.dropped = true;
    this.clearTimers();
    this.pauseInput();
    if (error.code === "E_EGD_STALLED") {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), FLUSH_GRACE_MS).unref();
  }

  private armRequestTimer(): void {
    this.clearRequestTimer();
    this.requestTimer = setTimeout(() => {
      this.requestTimer = null;
      if (this.session.midRequest)
        this.fail(
          new EgdError(
            "E_EGD_TRUNCATED",
            `${this.session.describePartial()}; the rest did not come within ${this.o.requestTimeoutMs} ms`,
          ),
        );
    }, this.o.requestTimeoutMs);
    this.requestTimer.unref();
  }

  private armStallTimer(): void {
    this.clearStallTimer();
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      this.fail(
        new EgdError(
          "E_EGD_STALLED",
          `the client stopped reading: ${this.socket.writableLength} reply bytes undelivered for ${this.o.stallTimeoutMs} ms`,
        ),
      );
    }, this.o.stallTimeoutMs);
    this.stallTimer.unref();
  }

  private clearRequestTimer(): void {
    if (this.requestTimer !== null) clearTimeout(this.requestTimer);
    this.requestTimer = null;
  }

  private clearStallTimer(): void {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private clearTimers(): void {
    this.clearRequestTimer();
    this.clearStallTimer();
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    if (this.turn !== null) clearImmediate(this.turn);
    this.turn = null;
  }
}
