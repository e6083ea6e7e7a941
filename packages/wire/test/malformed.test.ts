import { Packr, Unpackr } from "msgpackr";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Link, type MessageOf, PACKR_OPTIONS, type WireError } from "../src/index.js";
import { connectGuest, type Lab, nextLink, RawPeer, startLab } from "./helpers.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const rawPackr = new Packr({ ...PACKR_OPTIONS });

async function labWithRaw(options: Parameters<typeof startLab>[0] = {}): Promise<{
  lab: Lab;
  raw: RawPeer;
  link: Link;
  errors: WireError[];
}> {
  const lab = await startLab(options, cleanup);
  lab.server.handle("echo", (m) => ({ t: "echo.reply", data: m.data }));
  const linkP = nextLink(lab.server);
  const raw = await RawPeer.open(lab);
  cleanup.push(() => raw.close());
  const link = await linkP;
  const errors: WireError[] = [];
  link.on("wireError", (e) => errors.push(e));
  return { lab, raw, link, errors };
}

const isError = (m: { t: string }): m is MessageOf<"error"> => m.t === "error";

describe("malformed frames", () => {
  it("answers an undecodable frame with an uncorrelated error and stays open", async () => {
    const { raw, link, errors } = await labWithRaw();
    raw.sendRaw(new Uint8Array([0x92, 0x01]));
    raw.sendRaw("text is not part of the protocol");
    await raw.waitFor((m) => isError(m) && m.message.includes("text"));
    const replies = raw.received.filter(isError);
    expect(replies.map((m) => [m.code, m.re])).toEqual([
      ["E_DECODE", undefined],
      ["E_DECODE", undefined],
    ]);
    expect(errors.map((e) => e.code)).toEqual(["E_DECODE", "E_DECODE"]);
    expect(link.state).toBe("open");
    expect(link.stats.malformed).toBe(2);
  });

  it("correlates a schema error with the request id and names the field", async () => {
    const { raw } = await labWithRaw();
    raw.sendRaw(rawPackr.pack({ t: "echo", id: 77, data: "not bytes" }));
    raw.sendRaw(rawPackr.pack({ t: "msr.explode", id: 78 }));
    const schema = (await raw.waitFor((m) => isError(m) && m.re === 77)) as MessageOf<"error">;
    expect(schema).toEqual({
      t: "error",
      re: 77,
      code: "E_SCHEMA",
      path: "/data",
      message: "echo: /data: expected Uint8Array",
    });
    const unknown = (await raw.waitFor((m) => isError(m) && m.re === 78)) as MessageOf<"error">;
    expect(unknown.code).toBe("E_UNKNOWN_TYPE");
  });

  it("refuses a second hello after the handshake", async () => {
    const { raw, link } = await labWithRaw();
    raw.sendMsg({
      t: "hello",
      minVersion: 1,
      maxVersion: 1,
      role: "guest",
      node: "vm-1",
      software: "x",
    });
    const err = (await raw.waitFor((m) => isError(m))) as MessageOf<"error">;
    expect(err.code).toBe("E_INVALID");
    expect(link.state).toBe("open");
  });

  it("closes with 4400 once the malformed-frame budget is spent", async () => {
    const { raw, link, errors } = await labWithRaw({ malformedBudget: 5 });
    for (let i = 0; i < 6; i++) raw.sendRaw(new Uint8Array([0xc1]));
    expect(await raw.closed).toBe(4400);
    expect(raw.received.filter(isError)).toHaveLength(5);
    expect(errors).toHaveLength(6);
    await vi.waitFor(() =>
      expect(link.closeInfo).toMatchObject({
        code: 4400,
        reason: "too many malformed frames",
        byPeer: false,
      }),
    );
  });

  it("drops an oversized frame at the ws layer (close 1009) without decoding it, and keeps serving", async () => {
    const { lab, raw, link, errors } = await labWithRaw({ limits: { maxFrameBytes: 4096 } });
    const unpack = vi.spyOn(Unpackr.prototype, "unpack");
    // a perfectly valid message, only too big: if anything decoded it, it would be accepted
    raw.sendRaw(rawPackr.pack({ t: "echo", id: 5, data: new Uint8Array(8192) }));
    expect(await raw.closed).toBe(1009);
    expect(unpack).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(link.state).toBe("closed"));
    expect(errors.map((e) => e.code)).toContain("E_FRAME_TOO_LARGE");
    // the server is still up and answers a new client
    const client = connectGuest(lab);
    await client.opened();
    const reply = await client.request({ t: "echo", data: new Uint8Array([1, 2]) });
    expect(reply.data).toEqual(new Uint8Array([1, 2]));
  });
});
