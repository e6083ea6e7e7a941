import { WireError } from "../../errors.js";
import { ToxicChain } from "./chain.js";
import {
  LimitDataStage,
  ResetPeerStage,
  SlowCloseStage,
  TimeoutStage,
} from "./connection-faults.js";
import { CorruptStage, DropStage, DuplicateStage } from "./message-faults.js";
import { BandwidthStage, LatencyStage } from "./pacing.js";
import { type FragmentWriter, SlicerStage } from "./slicer.js";
import type { Out, Stage, StageContext } from "./stage.js";
import type { Toxic, ToxicDirection, ToxicEntry } from "./types.js";
import { validateToxic } from "./validate.js";

/** What the Link lends its toxics. */
export interface ToxicHost {
  /** Writes a frame that left the send chain (the Link's normal write path). */
  readonly sendFrame: Out;
  readonly sendFragment: FragmentWriter;
  /** Decodes and dispatches a frame that left the receive chain. */
  readonly receiveFrame: Out;
  readonly end: (reason: string) => void;
  readonly reset: (reason: string) => void;
  /** A direction's blackhole state changed: control frames must follow it. */
  readonly blackholeChanged: (send: boolean, receive: boolean) => void;
  /** The first receive slow_close was added: the peer's close frame must be delayable. */
  readonly holdPeerClose: () => void;
}

/**
 * A Link's toxics: the send and receive chains, their validation and bookkeeping. Created on the
 * first addToxic, so a Link that never gets one pays nothing but one field check per frame.
 */
export class LinkToxics {
  readonly send: ToxicChain;
  readonly receive: ToxicChain;
  readonly #host: ToxicHost;
  readonly #maxHeldBytes: number;
  readonly #order: ToxicEntry[] = [];
  #slicer: SlicerStage | undefined;
  #peerCloseHeld = false;

  constructor(host: ToxicHost, maxHeldBytes: number) {
    this.#host = host;
    this.#maxHeldBytes = maxHeldBytes;
    this.send = new ToxicChain((f) => this.#toSocket(f));
    this.receive = new ToxicChain(host.receiveFrame);
  }

  /** Validates and appends a toxic; throws WireError E_INVALID. */
  add(name: string, direction: ToxicDirection, toxic: Toxic, random: () => number): void {
    const checked = validateToxic(name, direction, toxic);
    if (typeof random !== "function") {
      throw new WireError("E_INVALID", `toxic ${name}: random must be a function`);
    }
    if (this.#order.some((e) => e.name === name)) {
      throw new WireError("E_INVALID", `toxic ${name} already exists on this link`);
    }
    if (checked.type === "slicer" && this.#slicer !== undefined) {
      throw new WireError("E_INVALID", `toxic ${name}: this link already has a slicer`);
    }
    const chain = direction === "send" ? this.send : this.receive;
    const ctx: StageContext = { random, end: this.#host.end, reset: this.#host.reset };
    const out = chain.outOf({ name });
    const stage = this.#build(name, checked, ctx, out);
    chain.append({ name, toxic: checked, stage });
    this.#order.push(Object.freeze({ name, direction, toxic: checked }));
    if (checked.type === "timeout") this.#blackholeChanged();
    if (checked.type === "slow_close" && direction === "receive" && !this.#peerCloseHeld) {
      this.#peerCloseHeld = true;
      this.#host.holdPeerClose();
    }
  }

  /** Removes a toxic, releasing in order what it held; false when there is none by that name. */
  remove(name: string): boolean {
    const i = this.#order.findIndex((e) => e.name === name);
    if (i < 0) return false;
    const entry = this.#order[i]!;
    this.#order.splice(i, 1);
    const node = (entry.direction === "send" ? this.send : this.receive).remove(name);
    if (node?.stage === this.#slicer) this.#slicer = undefined;
    if (entry.toxic.type === "timeout") this.#blackholeChanged();
    return true;
  }

  list(): ToxicEntry[] {
    return [...this.#order];
  }

  /** True when the send chain may take `bytes` more without exceeding the Link's queue bound. */
  canHold(bytes: number): boolean {
    return this.send.heldBytes() + bytes <= this.#maxHeldBytes;
  }

  closeDelay(direction: ToxicDirection): number {
    return (direction === "send" ? this.send : this.receive).sum("slow_close");
  }

  get sendBlackholed(): boolean {
    return this.send.has("timeout");
  }

  get receiveBlackholed(): boolean {
    return this.receive.has("timeout");
  }

  /** The link closed: every toxic is gone (timers stopped, held frames dropped). */
  dispose(): void {
    this.send.dispose();
    this.receive.dispose();
    this.#slicer = undefined;
    this.#order.length = 0;
  }

  #toSocket(frame: Uint8Array): void {
    if (this.#slicer !== undefined) this.#slicer.write(frame);
    else this.#host.sendFrame(frame);
  }

  #blackholeChanged(): void {
    this.#host.blackholeChanged(this.sendBlackholed, this.receiveBlackholed);
  }

  #build(name: string, t: Toxic, ctx: StageContext, out: Out): Stage {
    switch (t.type) {
      case "latency":
        return new LatencyStage(t.latencyMs, t.jitterMs, ctx.random, out);
      case "bandwidth":
        return new BandwidthStage(t.bytesPerSec, out);
      case "slow_close":
        return new SlowCloseStage(t.delayMs, out);
      case "timeout":
        return new TimeoutStage(t.timeoutMs, ctx, name);
      case "reset_peer":
        return new ResetPeerStage(t.timeoutMs, ctx, name);
      case "slicer":
        this.#slicer = new SlicerStage(
          t.averageSize,
          t.sizeVariation,
          t.delayUs,
          ctx.random,
          out,
          this.#host.sendFragment,
          this.#host.sendFrame,
        );
        return this.#slicer;
      case "limit_data":
        return new LimitDataStage(t.bytes, ctx, name, out);
      case "drop":
        return new DropStage(t.probability, ctx.random, out);
      case "duplicate":
        return new DuplicateStage(t.probability, ctx.random, out);
      case "corrupt":
        return new CorruptStage(t.probability, t.bytes, ctx.random, out);
    }
  }
}
