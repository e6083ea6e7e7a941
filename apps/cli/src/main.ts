#!/usr/bin/env node
import { runCli } from "./run.js";

// One exit point: every command resolves to an exit code (see exit-codes.ts).
const code = await runCli(process.argv);
// Let piped output drain before leaving (a no-op once stdout is closed).
await new Promise<void>((resolve) => {
  if (process.stdout.destroyed || !process.stdout.writable) resolve();
  else process.stdout.write("", () => resolve());
});
process.exit(code);
