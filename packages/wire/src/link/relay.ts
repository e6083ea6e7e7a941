import type { RequestType } from "../catalogue/registry.js";
import { isWireError, isWireErrorCode, WireError } from "../errors.js";
import type { ReplyBody } from "./handlers.js";
import type { Link, RequestBody } from "./link.js";

/**
 * Sends a request on to the next hop and hands its reply back as a reply body (without `re`),
 * so a handler can answer its own caller with it: host → hypervisor → guest routing. An error
 * answer from the next hop keeps its code (E_NOT_FOUND stays E_NOT_FOUND for the original
 * caller) instead of becoming E_REMOTE.
 */
export async function relay<T extends RequestType>(
  next: Link,
  body: RequestBody<T> & { t: T },
  timeoutMs?: number,
): Promise<ReplyBody<T>> {
  try {
    const reply = (await next.request(
      body as never,
      timeoutMs === undefined ? {} : { timeoutMs },
    )) as unknown as { re: number } & Record<string, unknown>;
    const { re: _re, ...rest } = reply;
    return rest as unknown as ReplyBody<T>;
  } catch (err) {
    if (
      isWireError(err) &&
      err.code === "E_REMOTE" &&
      err.remoteCode &&
      isWireErrorCode(err.remoteCode)
    ) {
      throw new WireError(err.remoteCode, err.message);
    }
    throw err;
  }
}
