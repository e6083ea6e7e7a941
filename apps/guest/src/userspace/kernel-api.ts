import type { GuestKernel } from "../kernel/index.js";
import type { UserspaceApi } from "./api.js";

/**
 * The UserspaceApi of a running GuestKernel in this process: timers are wall-clock timeouts
 * scaled by the clock rate, re-armed until the kernel's virtual time has really reached the
 * due time (the rate can change under a clock fault).
 */
export function kernelUserspaceApi(
  kernel: GuestKernel,
  opts: {
    clockRate: () => number;
    emit: (kind: string, message: string, data: Record<string, unknown>, vtimeMs: number) => void;
  },
): UserspaceApi {
  const now = () => kernel.uptimeMs;
  return {
    getrandom: (len, flags = 0) => kernel.getrandom(len, flags),
    onVmfork: (listener) => kernel.onVmfork(listener),
    checkVmGeneration: () => kernel.checkVmGeneration(),
    now,
    after: (ms, fn) => {
      const due = now() + ms;
      let timer: NodeJS.Timeout | undefined;
      const arm = (wait: number) => {
        timer = setTimeout(
          () => {
            const left = due - now();
            if (left > 0.001) arm(left);
            else fn();
          },
          Math.max(0, wait / Math.max(opts.clockRate(), 1e-9)),
        );
      };
      arm(ms);
      return () => clearTimeout(timer);
    },
    printk: (level, text, upstream) => kernel.modulePrintk(level, text, upstream),
    emit: (kind, message, data) => opts.emit(kind, message, data, now()),
  };
}
