import type { UserspaceProgram as ProgramConfig } from "@vmrng/wire";
import { type UserspaceApi, UserspaceError, type UserspaceProgram } from "./api.js";
import { GetrandomLoad } from "./getrandom-load.js";
import { Wireguard } from "./wireguard.js";

type Factory = (api: UserspaceApi, c: ProgramConfig, saved?: unknown) => UserspaceProgram;

/** The programs a guest can run, by the name the cluster file uses. */
export const PROGRAMS: Readonly<Record<ProgramConfig["program"], Factory>> = {
  wireguard: (api, c, saved) =>
    new Wireguard(api, c as Extract<ProgramConfig, { program: "wireguard" }>, saved),
  "getrandom-load": (api, c, saved) =>
    new GetrandomLoad(api, c as Extract<ProgramConfig, { program: "getrandom-load" }>, saved),
};

export function createProgram(
  api: UserspaceApi,
  config: ProgramConfig,
  saved?: unknown,
): UserspaceProgram {
  const make = Object.hasOwn(PROGRAMS, config.program) ? PROGRAMS[config.program] : undefined;
  if (!make) throw new UserspaceError("BAD_CONFIG", `no userspace program "${config.program}"`);
  return make(api, config, saved);
}

/** The programs of one guest: started together, saved together (index-aligned with config). */
export class UserspaceRunner {
  private readonly programs: UserspaceProgram[];

  /** `saved`: what save() returned in the parent (restore, clone); absent at boot. */
  constructor(api: UserspaceApi, configs: readonly ProgramConfig[], saved?: unknown) {
    if (saved !== undefined && (!Array.isArray(saved) || saved.length !== configs.length)) {
      throw new UserspaceError(
        "BAD_STATE",
        `saved userspace state has ${Array.isArray(saved) ? saved.length : "no"} programs, the configuration ${configs.length}`,
      );
    }
    this.programs = configs.map((c, i) =>
      createProgram(api, c, saved === undefined ? undefined : (saved as unknown[])[i]),
    );
  }

  get names(): string[] {
    return this.programs.map((p) => p.name);
  }

  start(): void {
    for (const p of this.programs) p.start();
  }

  stop(): void {
    for (const p of this.programs) p.stop();
  }

  save(): unknown[] {
    return this.programs.map((p) => p.save());
  }
}
