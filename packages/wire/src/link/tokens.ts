import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { NODE_ID_PATTERN } from "../catalogue/common.js";
import type { RoleName } from "../catalogue/routes.js";

/** What a token lets its bearer be: exactly one role and one node id. */
export interface TokenScope {
  readonly role: RoleName;
  readonly node: string;
}

export { NODE_HEADER, ROLE_HEADER } from "./headers.js";

/** 32 random bytes in base64url without padding: always 43 characters. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const NODE_ID = new RegExp(NODE_ID_PATTERN);
const ROLES: ReadonlySet<string> = new Set<RoleName>(["host", "hypervisor", "guest", "client"]);

/** A fresh bearer token: 32 bytes from the OS CSPRNG, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The token of an `Authorization: Bearer <token>` header, if the header has exactly that form. */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer ([A-Za-z0-9_-]{43})$/.exec(header);
  return m?.[1];
}

interface Entry {
  readonly token: Buffer;
  readonly scope: TokenScope;
}

/**
 * token → scope. Lookups are constant-time in the token's value: the presented token is hashed
 * (SHA-256) and the digest selects the entry, so map probing depends only on a digest the caller
 * cannot steer byte by byte, and the final comparison of the stored and presented tokens is
 * `crypto.timingSafeEqual`. Tokens themselves are never logged or put in errors.
 */
export class TokenRegistry {
  readonly #byDigest = new Map<string, Entry>();

  /** Creates a token for `scope`, registers it and returns it. */
  issue(scope: TokenScope): string {
    const token = generateToken();
    this.add(token, scope);
    return token;
  }

  add(token: string, scope: TokenScope): void {
    if (!TOKEN_PATTERN.test(token)) {
      throw new TypeError("token must be 43 base64url characters (32 random bytes)");
    }
    if (!ROLES.has(scope.role)) throw new TypeError(`unknown role ${String(scope.role)}`);
    if (!NODE_ID.test(scope.node))
      throw new TypeError(`invalid node id ${JSON.stringify(scope.node)}`);
    this.#byDigest.set(digest(token), {
      token: Buffer.from(token, "utf8"),
      scope: Object.freeze({ role: scope.role, node: scope.node }),
    });
  }

  revoke(token: string): boolean {
    return TOKEN_PATTERN.test(token) && this.#byDigest.delete(digest(token));
  }

  /** The scope of `token`, or undefined for a missing, malformed or unknown token. */
  verify(token: string | undefined): TokenScope | undefined {
    if (token === undefined || !TOKEN_PATTERN.test(token)) return undefined;
    const entry = this.#byDigest.get(digest(token));
    if (entry === undefined) return undefined;
    const presented = Buffer.from(token, "utf8");
    return timingSafeEqual(entry.token, presented) ? entry.scope : undefined;
  }

  get size(): number {
    return this.#byDigest.size;
  }
}

function digest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64");
}
