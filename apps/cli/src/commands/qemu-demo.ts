import { type Command, Option } from "commander";
import type { QemuDemoOptions } from "../actions/qemu-demo.js";
import { byteCountArg } from "./args.js";
import { examples, withRunDir } from "./common.js";

export function registerQemuDemo(program: Command): void {
  const cmd = program
    .command("qemu-demo")
    .summary("boot a real Linux VM in QEMU whose virtio-rng draws from the host's EGD server")
    .description(
      "boot a real Linux guest (Debian's generic kernel, a busybox initramfs) in QEMU with -object rng-egd pointed at the cluster host's EGD server, with its serial console on this terminal: it loads virtio-rng, shows rng_current, reads /dev/hwrng, and leaves you a shell; the host's EGD accounting is printed after the read and at the end. Uses the cluster of --run-dir if it runs with EGD enabled, else starts one and stops it afterwards. Needs qemu-system-x86 and busybox-static (apt); the kernel is downloaded once into ~/.cache/vmrng/qemu. Ctrl-C ends it.",
    )
    .addOption(
      new Option("-n, --bytes <n>", "bytes the guest reads from /dev/hwrng (a multiple of 64)")
        .argParser(byteCountArg)
        .default(4096),
    )
    .addOption(
      new Option("--accel <accel>", "QEMU accelerator").choices(["tcg", "kvm"]).default("tcg"),
    )
    .option("--unix", "connect QEMU to the EGD Unix socket instead of the TCP port")
    .option("--batch", "power the guest off after the read instead of giving a shell");
  withRunDir(cmd)
    .addHelpText(
      "after",
      examples(
        "vmrng qemu-demo",
        "vmrng qemu-demo --batch -n 64K",
        "vmrng up -f lab.yaml --set host.egd.enabled=true -d && vmrng qemu-demo && vmrng status",
      ),
    )
    .action(async (opts: QemuDemoOptions) => {
      const { runQemuDemo } = await import("../actions/qemu-demo.js");
      await runQemuDemo(opts);
    });
}
