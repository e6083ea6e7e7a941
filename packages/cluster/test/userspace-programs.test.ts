import { describe, expect, it } from "vitest";
import { ClusterFileError, parseClusterText } from "../src/index.js";

function refusal(text: string): ClusterFileError {
  try {
    parseClusterText(text, "c.yaml");
  } catch (err) {
    if (err instanceof ClusterFileError) return err;
    throw err;
  }
  throw new Error("expected the file to be refused");
}

const guestWith = (userspace: string) =>
  `hypervisors: [{ id: hv, guests: [{ id: a, userspace: ${userspace} }, { id: b }] }]`;

describe("guest userspace programs", () => {
  it("runs none by default and fills each program's unset fields", () => {
    const spec = parseClusterText(
      guestWith("[{ program: wireguard }, { program: getrandom-load, len: 16, flags: 1 }]"),
      "c.yaml",
    );
    const [a, b] = spec.hypervisors[0]!.guests;
    expect(a!.userspace).toEqual([
      { program: "wireguard", sessions: 1, packetEveryMs: 1000 },
      { program: "getrandom-load", len: 16, everyMs: 1000, flags: 1 },
    ]);
    expect(b!.userspace).toEqual([]);
  });

  it("a guest's list replaces the defaults' list (lists are not merged)", () => {
    const spec = parseClusterText(
      `defaults: { userspace: [{ program: getrandom-load }] }
hypervisors: [{ id: hv, guests: [{ id: a, userspace: [{ program: wireguard, sessions: 3 }] }, { id: b }] }]`,
      "c.yaml",
    );
    const [a, b] = spec.hypervisors[0]!.guests;
    expect(a!.userspace).toEqual([{ program: "wireguard", sessions: 3, packetEveryMs: 1000 }]);
    expect(b!.userspace.map((p) => p.program)).toEqual(["getrandom-load"]);
  });

  it("names the field of the program it refuses, not just 'a union'", () => {
    const unknown = refusal(guestWith("[{ program: sshd }]"));
    expect(unknown.path).toBe("/hypervisors/0/guests/0/userspace/0/program");
    expect(unknown.expected).toMatch(
      /expected one of "wireguard", "getrandom-load" \(got "sshd"\)/,
    );
    const range = refusal(guestWith("[{ program: wireguard, sessions: 0 }]"));
    expect(range.path).toBe("/hypervisors/0/guests/0/userspace/0/sessions");
    expect(range.expected).toMatch(/expected an integer >= 1 and <= 64/);
    const field = refusal(guestWith("[{ program: getrandom-load, sessions: 2 }]"));
    expect(field.path).toBe("/hypervisors/0/guests/0/userspace/0/sessions");
    expect(field.expected).toMatch(/unknown field; allowed fields: program, len, everyMs, flags/);
    expect(refusal(guestWith("[wireguard]")).path).toBe("/hypervisors/0/guests/0/userspace/0");
    const many = `[${Array.from({ length: 17 }, () => "{ program: wireguard }").join(", ")}]`;
    expect(refusal(guestWith(many)).expected).toMatch(/at most 16/);
  });
});
