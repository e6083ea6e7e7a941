/**
 * Upgrade-request headers naming who the client means to be. Checked against the token's scope
 * before the upgrade, so a token used for another identity is refused with HTTP 401. (A module
 * of its own so the upgrade client can use them without loading the catalogue.)
 */
export const ROLE_HEADER = "x-vmrng-role";
export const NODE_HEADER = "x-vmrng-node";
