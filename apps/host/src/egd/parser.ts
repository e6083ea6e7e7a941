import { EgdError } from "./errors.js";
import {
  commandName,
  EGD_GET_ENTROPY_LEVEL,
  EGD_GET_PID,
  EGD_READ_BLOCKING,
  EGD_READ_NONBLOCKING,
  EGD_WRITE_ENTROPY,
  type EgdRequest,
} from "./protocol.js";

/** Where the parser stands inside the current request. */
enum Stage {
  Command,
  Count,
  BitsHigh,
  BitsLow,
  DataLength,
  Data,
}

/**
 * EGD requests from a byte stream, incrementally: bytes arrive in any split (a request cut
 * across TCP segments, or many pipelined in one, as QEMU writes them), and `next()` returns each
 * complete request exactly once, in order. It keeps only the chunks it has not consumed yet
 * plus at most one 255-byte 0x03 payload, so its memory is bounded by what the caller feeds it.
 * An unknown command is fatal: the stream has no framing to resynchronise on.
 */
export class EgdRequestParser {
  private readonly chunks: Uint8Array[] = [];
  private offset = 0;
  private pending = 0;
  private stage = Stage.Command;
  private command = 0;
  private bits = 0;
  private data: Uint8Array | null = null;
  private filled = 0;
  private failure: EgdError | null = null;
  private consumed = 0;
  private frameStart = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.pending += chunk.length;
  }

  /** The next complete request, or undefined until more bytes arrive. Throws EgdError. */
  next(): EgdRequest | undefined {
    if (this.failure) throw this.failure;
    for (;;) {
      if (this.stage === Stage.Data) {
        if (!this.fillData()) return undefined;
        const data = this.data!;
        this.data = null;
        this.stage = Stage.Command;
        return { kind: "write", shannons: this.bits, data };
      }
      const b = this.byte();
      if (b < 0) return undefined;
      switch (this.stage) {
        case Stage.Command:
          switch (b) {
            case EGD_GET_ENTROPY_LEVEL:
              return { kind: "level" };
            case EGD_GET_PID:
              return { kind: "pid" };
            case EGD_READ_NONBLOCKING:
            case EGD_READ_BLOCKING:
              this.frameStart = this.consumed - 1;
              this.command = b;
              this.stage = Stage.Count;
              continue;
            case EGD_WRITE_ENTROPY:
              this.frameStart = this.consumed - 1;
              this.command = b;
              this.stage = Stage.BitsHigh;
              continue;
            default:
              this.failure = new EgdError(
                "E_EGD_UNKNOWN_COMMAND",
                `unknown EGD command ${commandName(b)} at stream offset ${this.consumed - 1}`,
              );
              throw this.failure;
          }
        case Stage.Count:
          this.stage = Stage.Command;
          return this.command === EGD_READ_BLOCKING
            ? { kind: "read-blocking", n: b }
            : { kind: "read-nonblocking", n: b };
        case Stage.BitsHigh:
          this.bits = b << 8;
          this.stage = Stage.BitsLow;
          continue;
        case Stage.BitsLow:
          this.bits |= b;
          this.stage = Stage.DataLength;
          continue;
        case Stage.DataLength:
          this.data = new Uint8Array(b);
          this.filled = 0;
          this.stage = Stage.Data;
          continue;
      }
    }
  }

  /** True while a request has started but not all of its bytes have arrived. */
  get midRequest(): boolean {
    return this.stage !== Stage.Command;
  }

  /** What the current partial request has and still needs, for log lines. */
  describePartial(): string {
    if (!this.midRequest) return "no partial request";
    const got = this.consumed - this.frameStart;
    const want =
      this.command !== EGD_WRITE_ENTROPY
        ? "2"
        : this.stage === Stage.Data
          ? String(4 + this.data!.length)
          : "at least 4";
    return `${commandName(this.command)} request has ${got} of ${want} bytes`;
  }

  /** Bytes received and not yet parsed. */
  get bufferedBytes(): number {
    return this.pending;
  }

  /** Bytes parsed since the start of the stream. */
  get offsetInStream(): number {
    return this.consumed;
  }

  private byte(): number {
    const head = this.chunks[0];
    if (head === undefined) return -1;
    const b = head[this.offset++]!;
    this.pending -= 1;
    this.consumed += 1;
    if (this.offset === head.length) {
      this.chunks.shift();
      this.offset = 0;
    }
    return b;
  }

  /** Copies what is there of the 0x03 payload; true once it is complete. */
  private fillData(): boolean {
    const data = this.data!;
    while (this.filled < data.length) {
      const head = this.chunks[0];
      if (head === undefined) return false;
      const take = Math.min(head.length - this.offset, data.length - this.filled);
      data.set(head.subarray(this.offset, this.offset + take), this.filled);
      this.filled += take;
      this.offset += take;
      this.pending -= take;
      this.consumed += take;
      if (this.offset === head.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    return true;
  }
}
