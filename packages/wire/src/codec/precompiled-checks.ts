/**
 * Check functions generated ahead of time, by message type. Empty here: every process compiles
 * its validators on first use (validate.ts). A bundler may substitute this module with the
 * output of precompiledChecksModule() (the guest bundle does, apps/guest/scripts/bundle.mjs),
 * built from the same catalogue in the same build, so a process that must start fast neither
 * generates nor evaluates validator code at runtime.
 */
export type PrecompiledCheck = (value: unknown) => boolean;

export const PRECOMPILED_CHECKS: Readonly<Record<string, PrecompiledCheck>> = {};
