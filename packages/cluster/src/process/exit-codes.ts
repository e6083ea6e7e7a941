/**
 * Exit status of a guest process whose emulated kernel called panic() (e.g. a CoCo guest's
 * `panic("RDRAND is defective.")`). Distinct from a crash (1, or 128+signal), so the
 * hypervisor reports the guest as "panicked", not "crashed".
 */
export const GUEST_PANIC_EXIT_CODE = 86;
