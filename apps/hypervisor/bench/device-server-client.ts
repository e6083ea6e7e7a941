import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { DeviceServerPorts } from "./bare-protocol.js";

/** Starts bench/device-server.ts (through tsx, like this process) and reads its ports. */
export async function startDeviceServer(): Promise<{
  child: ChildProcess;
  ports: DeviceServerPorts;
}> {
  const script = fileURLToPath(new URL("./device-server.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes("\n")) break;
  }
  const first = out.split("\n")[0]!;
  if (!first.startsWith("{")) throw new Error(`device-server did not start: ${out}`);
  return { child, ports: JSON.parse(first) as DeviceServerPorts };
}
