import { describe, expect, it } from "vitest";
import { ByteSizeError, formatBytes, parseByteSize } from "../src/byte-size.js";

describe("parseByteSize", () => {
  it("reads 1024-based K, M, G suffixes", () => {
    expect(parseByteSize("32")).toBe(32);
    expect(parseByteSize("0")).toBe(0);
    expect(parseByteSize("4K")).toBe(4096);
    expect(parseByteSize("4k")).toBe(4096);
    expect(parseByteSize("1M")).toBe(1_048_576);
    expect(parseByteSize("100M")).toBe(104_857_600);
    expect(parseByteSize("1G")).toBe(1_073_741_824);
    expect(parseByteSize("2MiB")).toBe(2_097_152);
    expect(parseByteSize("1.5M")).toBe(1_572_864);
    expect(parseByteSize(" 8 K ")).toBe(8192);
  });

  it("refuses what is not a whole number of bytes", () => {
    for (const bad of ["", "-1", "1T", "abc", "0.5", "1.0001K", "1e3", "9999999999999G"]) {
      expect(() => parseByteSize(bad), bad).toThrow(ByteSizeError);
    }
    expect(() => parseByteSize("1T")).toThrow(/invalid byte count "1T": expected a number/);
  });
});

describe("formatBytes", () => {
  it("prints binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(100 * 1024 * 1024)).toBe("100 MiB");
  });
});
