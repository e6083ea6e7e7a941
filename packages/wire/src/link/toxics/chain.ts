import type { Out, Stage } from "./stage.js";
import type { Toxic } from "./types.js";

export interface ChainNode {
  readonly name: string;
  readonly toxic: Toxic;
  stage: Stage;
}

/**
 * One direction's toxics in insertion order (Toxiproxy's ToxicCollection chain): a frame pushed
 * in goes through each stage in turn, then to the sink. A stage finds its successor when it hands
 * a frame on, not when it was built, so removing a toxic relinks the chain even for frames a
 * stage still holds.
 */
export class ToxicChain {
  readonly nodes: ChainNode[] = [];
  readonly #sink: Out;

  constructor(sink: Out) {
    this.#sink = sink;
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Builds the node's `out`: the next stage's push, or the sink after the last. */
  outOf(node: { readonly name: string }): Out {
    return (frame) => {
      const i = this.nodes.findIndex((n) => n.name === node.name);
      if (i < 0) return; // removed and already released: nothing may come out of it any more
      const next = this.nodes[i + 1];
      if (next !== undefined) next.stage.push(frame);
      else this.#sink(frame);
    };
  }

  append(node: ChainNode): void {
    this.nodes.push(node);
  }

  push(frame: Uint8Array): void {
    const first = this.nodes[0];
    if (first !== undefined) first.stage.push(frame);
    else this.#sink(frame);
  }

  heldBytes(): number {
    let n = 0;
    for (const node of this.nodes) n += node.stage.heldBytes();
    return n;
  }

  /** Releases what the named stage holds to its successor, then unlinks it. */
  remove(name: string): ChainNode | undefined {
    const node = this.nodes.find((n) => n.name === name);
    if (node === undefined) return undefined;
    node.stage.release();
    this.nodes.splice(this.nodes.indexOf(node), 1);
    return node;
  }

  has(type: Toxic["type"]): boolean {
    return this.nodes.some((n) => n.toxic.type === type);
  }

  sum(type: "slow_close"): number {
    let ms = 0;
    for (const n of this.nodes) if (n.toxic.type === type) ms += n.toxic.delayMs;
    return ms;
  }

  dispose(): void {
    for (const n of this.nodes.splice(0)) n.stage.dispose();
  }
}
