import type { ArchRandom, Crng } from "@vmrng/crng";
import { describe, expectTypeOf, it } from "vitest";
import type { EntropySink, X86ArchRandom } from "../src/index.js";

describe("contracts with @vmrng/crng", () => {
  it("the real Crng satisfies EntropySink, and X86ArchRandom is an ArchRandom", () => {
    expectTypeOf<Crng>().toMatchTypeOf<EntropySink>();
    expectTypeOf<X86ArchRandom>().toMatchTypeOf<ArchRandom>();
  });
});
