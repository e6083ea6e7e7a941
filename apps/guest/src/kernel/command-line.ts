import type { GuestSpec } from "@vmrng/cluster";
import { DEFAULT_COMMAND_LINE } from "./constants.js";

/** The kernel command line a spec boots with: the default plus its random.trust_cpu choice. */
export function commandLineFor(spec: GuestSpec): string {
  return spec.trust.cpu ? DEFAULT_COMMAND_LINE : `${DEFAULT_COMMAND_LINE} random.trust_cpu=off`;
}

/**
 * kstrtobool() as early_param("random.trust_cpu") uses it (lib/kstrtox.c): y/Y/t/T/1 true,
 * n/N/f/F/0 false, "on"/"off"; anything else leaves the value alone.
 */
function kstrtobool(s: string): boolean | null {
  const c = s[0];
  if (c === undefined) return null;
  if ("yYtT1".includes(c)) return true;
  if ("nNfF0".includes(c)) return false;
  if (c === "o" || c === "O") {
    const d = s[1];
    if (d === "n" || d === "N") return true;
    if (d === "f" || d === "F") return false;
  }
  return null;
}

/**
 * The effective random.trust_cpu: the last `random.trust_cpu=` on the command line wins over
 * the spec (it is an early_param, parsed in start_kernel() before random_init_early()).
 *
 * random.trust_bootloader= is deliberately NOT read here: on x86 setup_arch() runs
 * parse_setup_data() before parse_early_param() (arch/x86/kernel/setup.c), so when the
 * SETUP_RNG_SEED is credited the parameter has not been parsed yet and only the build default
 * (CONFIG_RANDOM_TRUST_BOOTLOADER, here spec.trust.bootloader) applies.
 */
export function effectiveTrustCpu(commandLine: string, dflt: boolean): boolean {
  let v = dflt;
  for (const word of commandLine.split(/\s+/)) {
    if (!word.startsWith("random.trust_cpu=")) continue;
    const b = kstrtobool(word.slice("random.trust_cpu=".length));
    if (b !== null) v = b;
  }
  return v;
}
