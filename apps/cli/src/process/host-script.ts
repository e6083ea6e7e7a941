import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CliError, ExitCode } from "../exit-codes.js";

/**
 * The host's entry point, found from this file's own location (apps/cli/{dist,src}/process →
 * apps/host/dist/main.js), never from the working directory. VMRNG_HOST_SCRIPT overrides it
 * for development.
 */
export function hostScript(): string {
  const path =
    process.env.VMRNG_HOST_SCRIPT ??
    fileURLToPath(new URL("../../../host/dist/main.js", import.meta.url));
  if (!existsSync(path))
    throw new CliError(
      `the host is not built: ${path} is missing (run 'pnpm build')`,
      ExitCode.FAILURE,
    );
  return path;
}
