import { describe, expect, it } from "vitest";
import { entropyLevelReply, nonBlockingReply, pidReply } from "../../src/egd/replies.js";

describe("EGD replies", () => {
  it("0x00: a big-endian U32, saturated at both ends", () => {
    expect([...entropyLevelReply(256)]).toEqual([0, 0, 1, 0]);
    expect([...entropyLevelReply(0x0102_0304)]).toEqual([1, 2, 3, 4]);
    expect([...entropyLevelReply(2 ** 40)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect([...entropyLevelReply(-5)]).toEqual([0, 0, 0, 0]);
  });

  it("0x01: the count byte, then exactly that many bytes", () => {
    expect([...nonBlockingReply(new Uint8Array([9, 8, 7]))]).toEqual([3, 9, 8, 7]);
    expect([...nonBlockingReply(new Uint8Array(0))]).toEqual([0]);
    expect(nonBlockingReply(new Uint8Array(255))).toHaveLength(256);
    expect(() => nonBlockingReply(new Uint8Array(256))).toThrow(RangeError);
  });

  it("0x04: the length byte, then the pid in decimal ASCII without a NUL", () => {
    expect([...pidReply(41200)]).toEqual([5, 0x34, 0x31, 0x32, 0x30, 0x30]);
    expect([...pidReply(7)]).toEqual([1, 0x37]);
  });
});
