import { DEFAULT_CLUSTER_YAML, parseClusterText } from "@vmrng/cluster";
import { ChaChaDrbg, RngMsrHost } from "@vmrng/devices";
import { type Link, WireError } from "@vmrng/wire";
import { describe, expect, it } from "vitest";
import { GuestSession } from "../src/guest-session.js";

/** A guest Link that takes `capacity` frames, then refuses with E_BACKPRESSURE until drained. */
function congestedLink(capacity: number) {
  const sent: number[] = [];
  let room = capacity;
  let drain: (() => void) | null = null;
  const link = {
    state: "open",
    send: (msg: { t: string; desc: number }) => {
      if (room === 0) throw new WireError("E_BACKPRESSURE", "outgoing queue full");
      room -= 1;
      sent.push(msg.desc);
    },
    waitWritable: () => new Promise<void>((r) => (drain = r)),
    on: () => link,
  };
  return {
    link: link as unknown as Link,
    sent,
    drainNow: (more: number) => {
      room = more;
      drain?.();
    },
  };
}

describe("GuestSession virtio-rng used ring", () => {
  it("never drops a used buffer while the guest's Link is congested; all arrive in order once it drains", async () => {
    const spec = parseClusterText(DEFAULT_CLUSTER_YAML, "d").hypervisors[0]!.guests[0]!;
    const clock = { now: () => 0 };
    const entropy = new ChaChaDrbg(new Uint8Array(32).fill(1));
    const session = new GuestSession(spec, {
      clock,
      entropy,
      msrHost: new RngMsrHost({ clock, randomBytes: (n) => entropy.generate(n) }),
      spawn: () => {
        throw new Error("not spawned in this test");
      },
      emit: () => {},
      panicExitCode: 86,
    });
    const c = congestedLink(2);
    session.link = c.link;
    for (let desc = 0; desc < 8; desc++) session.onVirtioAvail(desc, 64);
    expect(c.sent).toEqual([0, 1]);
    c.drainNow(3);
    await new Promise((r) => setTimeout(r, 0));
    expect(c.sent).toEqual([0, 1, 2, 3, 4]);
    c.drainNow(100);
    await new Promise((r) => setTimeout(r, 0));
    expect(c.sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
