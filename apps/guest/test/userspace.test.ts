import { describe, expect, it } from "vitest";
import type { GuestKernel } from "../src/kernel/index.js";
import { decodeState, encodeState } from "../src/state-codec.js";
import {
  createProgram,
  GetrandomLoad,
  INITIAL_CHAINING_KEY,
  kdf2,
  keyFingerprint,
  REKEY_AFTER_TIME_MS,
  type UserspaceApi,
  UserspaceError,
  UserspaceRunner,
  Wireguard,
} from "../src/userspace/index.js";
import { flush, makeGuest, seeded, spec } from "./hypervisor.js";

interface Emitted {
  at: number;
  kind: string;
  data: Record<string, unknown>;
}

/** The kernel's userspace API with timers on the test's manual clock. */
function testApi(kernel: GuestKernel, clock: { now(): number; set(t: number): void }) {
  const timers: { due: number; fn: () => void }[] = [];
  const events: Emitted[] = [];
  const api: UserspaceApi = {
    getrandom: (len, flags = 0) => kernel.getrandom(len, flags),
    onVmfork: (l) => kernel.onVmfork(l),
    checkVmGeneration: () => kernel.checkVmGeneration(),
    now: () => kernel.uptimeMs,
    after: (ms, fn) => {
      const t = { due: clock.now() + ms, fn };
      timers.push(t);
      return () => {
        const i = timers.indexOf(t);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    printk: (level, text, upstream) => kernel.modulePrintk(level, text, upstream),
    emit: (kind, _message, data) => events.push({ at: kernel.uptimeMs, kind, data }),
  };
  /** Runs every timer due by `to`, each at its own time. */
  const advance = async (to: number) => {
    for (;;) {
      timers.sort((a, b) => a.due - b.due);
      const next = timers[0];
      if (!next || next.due > to) break;
      timers.shift();
      clock.set(Math.max(clock.now(), next.due));
      kernel.poll();
      next.fn();
      await flush();
    }
    clock.set(to);
    kernel.poll();
    await flush();
  };
  const wg = (action: string) =>
    events.filter((e) => e.kind === "userspace.wireguard" && e.data.action === action);
  return { api, events, advance, wg, pending: () => timers.length };
}

const WG = { program: "wireguard", sessions: 2, packetEveryMs: 1000 } as const;

describe("noise kdf", () => {
  it("is HKDF over HMAC-BLAKE2s from the Noise_IKpsk2 chaining key, 32-byte outputs", () => {
    expect(Buffer.from(INITIAL_CHAINING_KEY).toString("hex")).toHaveLength(64);
    const [a, b] = kdf2(INITIAL_CHAINING_KEY, new Uint8Array(32));
    const [c, d] = kdf2(INITIAL_CHAINING_KEY, new Uint8Array(32).fill(1));
    expect(a).toHaveLength(32);
    expect(b).toHaveLength(32);
    expect(new Set([a, b, c, d].map((x) => Buffer.from(x).toString("hex"))).size).toBe(4);
    expect(keyFingerprint(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyFingerprint(a)).not.toBe(Buffer.from(a).subarray(0, 8).toString("hex"));
  });
});

describe("wireguard program", () => {
  it("handshakes each peer on the first packet with WireGuard's log lines, then rekeys after REKEY_AFTER_TIME", async () => {
    const g = makeGuest(spec({ vmgenid: { mode: "notify", notifyDelayMs: 0 } }));
    await g.kernel.boot();
    const t = testApi(g.kernel, g.clock);
    const p = new Wireguard(t.api, WG);
    p.start();
    await t.advance(10);
    const created = t.wg("keypair-created");
    expect(created.map((e) => [e.data.session, e.data.keypair])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(t.wg("handshake")).toHaveLength(2);
    const text = g.kernel.logLines().map((l) => l.text);
    expect(text).toContain("wireguard: wg0: Peer 2 created");
    expect(text).toContain(
      "wireguard: wg0: Sending handshake initiation to peer 1 (192.0.2.1:51820)",
    );
    expect(text).toContain("wireguard: wg0: Keypair 2 created for peer 2");
    await t.advance(REKEY_AFTER_TIME_MS - 1000);
    expect(t.wg("keypair-created")).toHaveLength(2);
    await t.advance(REKEY_AFTER_TIME_MS + 1000);
    const after = t.wg("keypair-created");
    expect(after.map((e) => e.data.keypair)).toEqual([1, 2, 3, 4]);
    expect(new Set(after.map((e) => e.data.keyFingerprint)).size).toBe(4);
    const saved = p.save();
    // The new keypairs (born at 120 s) carried the packets of 120 s and 121 s: nonces 1, 2.
    expect(saved.peers.map((x) => x.keypair?.sendCounter)).toEqual([2n, 2n]);
    p.stop();
    expect(t.pending()).toBe(0);
  });

  it("drops every keypair on the vmfork notification; the next packet handshakes with fresh bytes", async () => {
    const g = makeGuest(spec({ vmgenid: { mode: "notify", notifyDelayMs: 0 } }));
    await g.kernel.boot();
    const t = testApi(g.kernel, g.clock);
    const p = new Wireguard(t.api, WG);
    p.start();
    await t.advance(3000);
    const before = t.wg("keypair-created").map((e) => e.data.keyFingerprint);
    g.hv.vmgenid.newGeneration();
    await g.kernel.onAcpiNotify(0x80);
    const cleared = t.wg("keys-cleared");
    expect(cleared.map((e) => e.data.keyFingerprint)).toEqual(before);
    expect(cleared.map((e) => e.data.sentSinceResume)).toEqual([4, 4]);
    expect(g.kernel.logLines().at(-1)?.upstream).toBe(false);
    expect(g.kernel.logLines().at(-1)?.text).toMatch(
      /^vmrng: wireguard: wg0: keys of peer 2 cleared after VM fork \(keypair 2/,
    );
    await t.advance(4000);
    const fresh = t.wg("keypair-created").slice(2);
    expect(fresh.map((e) => e.data.keypair)).toEqual([3, 4]);
    for (const e of fresh) expect(before).not.toContain(e.data.keyFingerprint);
    p.stop();
  });

  it("a clone resumes the saved keys (off: forever); counter mode drops them before the first packet", async () => {
    for (const mode of ["off", "counter"] as const) {
      const g = makeGuest(spec({ vmgenid: { mode, notifyDelayMs: 0 } }), { label: `p-${mode}` });
      await g.kernel.boot();
      const t = testApi(g.kernel, g.clock);
      const p = new Wireguard(t.api, WG);
      p.start();
      await t.advance(2000);
      const parentFps = t.wg("keypair-created").map((e) => e.data.keyFingerprint);
      // Through the guest's state codec, as a snapshot file carries it.
      const state = decodeState(encodeState({ kernel: g.kernel.serialize(), wg: p.save() })) as {
        kernel: unknown;
        wg: unknown;
      };
      p.stop();
      const { GuestKernel } = await import("../src/kernel/index.js");
      const c = makeGuest(spec({ vmgenid: { mode, notifyDelayMs: 0 } }, "clone"), {
        label: `c-${mode}`,
        clock: g.clock,
      });
      if (mode === "counter") c.hv.vmclock.bump();
      const clone = GuestKernel.restore(
        state.kernel,
        {
          spec: c.kernel.spec,
          clock: g.clock,
          transport: c.hv.transport(),
          randomBytes: seeded(`rdrand/c-${mode}`),
        },
        mode === "counter" ? { vmclockPage: c.hv.vmclock.page() } : {},
      );
      c.hv.kernel = clone;
      const tc = testApi(clone, g.clock);
      const q = new Wireguard(tc.api, WG, state.wg);
      q.start();
      expect(tc.wg("keypair-restored").map((e) => e.data.keyFingerprint)).toEqual(parentFps);
      await tc.advance(g.clock.now() + 1500);
      if (mode === "off") {
        expect(tc.wg("keys-cleared")).toEqual([]);
        expect(tc.wg("keypair-created")).toEqual([]);
      } else {
        expect(tc.wg("keys-cleared").map((e) => e.data.sentSinceResume)).toEqual([0, 0]);
        const fresh = tc.wg("keypair-created").map((e) => e.data.keyFingerprint);
        expect(fresh).toHaveLength(2);
        for (const fp of fresh) expect(parentFps).not.toContain(fp);
      }
      q.stop();
    }
  });

  it("refuses a saved state that is not its own, with a typed error", () => {
    const g = makeGuest(spec());
    const t = testApi(g.kernel, g.clock);
    for (const bad of [
      null,
      {},
      { keypairCounter: 1, peers: [{ id: 1, keypair: { id: 1 } }], nextPacketAtMs: 0 },
    ]) {
      expect(() => new Wireguard(t.api, WG, bad)).toThrow(UserspaceError);
    }
    expect(
      () =>
        new GetrandomLoad(
          t.api,
          { program: "getrandom-load", len: 32, everyMs: 1, flags: 0 },
          { calls: -1 },
        ),
    ).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
  });
});

describe("getrandom-load program", () => {
  it("reports every draw as userspace.output hex, and an errno without stopping", async () => {
    const g = makeGuest(spec());
    await g.kernel.boot();
    const t = testApi(g.kernel, g.clock);
    const runner = new UserspaceRunner(t.api, [
      { program: "getrandom-load", len: 32, everyMs: 250, flags: 0 },
      // GRND_INSECURE|GRND_RANDOM: EINVAL (drivers/char/random.c getrandom syscall).
      { program: "getrandom-load", len: 16, everyMs: 500, flags: 6 },
    ]);
    runner.start();
    await t.advance(1000);
    const out = t.events.filter((e) => e.kind === "userspace.output");
    expect(out.map((e) => e.data.call)).toEqual([1, 2, 3, 4, 5]);
    for (const e of out) expect(e.data.bytes).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(out.map((e) => e.data.bytes)).size).toBe(5);
    expect(out.map((e) => e.at)).toEqual([0, 250, 500, 750, 1000]);
    const errs = t.events.filter((e) => e.kind === "userspace.error");
    expect(errs.map((e) => e.data.errno)).toEqual(["EINVAL", "EINVAL", "EINVAL"]);
    const saved = runner.save() as { calls: number; nextAtMs: number }[];
    expect(saved[0]).toMatchObject({ calls: 5, nextAtMs: 1250 });
    runner.stop();
    expect(t.pending()).toBe(0);
    expect(() => new UserspaceRunner(t.api, [WG], [])).toThrow(UserspaceError);
    expect(() => createProgram(t.api, { program: "sshd" } as unknown as typeof WG)).toThrow(
      expect.objectContaining({ code: "BAD_CONFIG" }),
    );
  });
});
