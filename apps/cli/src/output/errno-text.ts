import type { ErrnoName } from "@vmrng/wire";

/** What an errno means for the call that got it, in the words a kernel engineer expects. */
export function errnoReason(errno: ErrnoName, call: "getrandom" | "read"): string {
  switch (errno) {
    case "EAGAIN":
      return call === "getrandom" ? "crng not ready" : "no data without blocking";
    case "EINVAL":
      return call === "getrandom" ? "invalid flags" : "invalid argument";
    case "ENODEV":
      return "no such device";
    case "EINTR":
      return "interrupted";
    case "EIO":
      return "I/O error";
    case "EBUSY":
      return "device busy";
    case "EFAULT":
      return "bad address";
    case "ENOSYS":
      return "not implemented";
  }
}
