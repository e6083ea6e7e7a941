import { type ChildProcess, spawn } from "node:child_process";
import { QemuHarnessError } from "./errors.js";
import { type GuestEvent, parseGuestLine } from "./guest-script.js";
import { findQemu } from "./locate.js";

/** Where the guest's virtio-rng gets its bytes. */
export type RngBackend =
  /** QEMU's rng-egd backend on a TCP chardev (an EGD server such as the vmrng host). */
  | { kind: "egd-tcp"; port: number; host?: string }
  /** rng-egd on a Unix-socket chardev. */
  | { kind: "egd-unix"; path: string }
  /** QEMU's own rng-builtin (qemu_guest_getrandom, no round trip out of QEMU). */
  | { kind: "builtin" };

export interface QemuOptions {
  kernel: string;
  initrd: string;
  /** One virtio-rng-pci device per backend (virtio_rng.0, .1, … in this order). */
  rng: RngBackend | readonly RngBackend[];
  memoryMb?: number;
  /** tcg (the default: works without /dev/kvm) or kvm. */
  accel?: "tcg" | "kvm";
  /** Kernel command line; default: serial console, notice-level messages shown, no reboot. */
  append?: string;
  /** Keyboard: "pipe" (send() writes the console) or "inherit" (the terminal types into it). */
  stdin?: "pipe" | "inherit";
  /** Called with every chunk the guest writes on its console (e.g. to show it). */
  echo?: (chunk: Buffer) => void;
}

/**
 * `console=ttyS0` puts the kernel log and /init on the serial port. loglevel=6 prints
 * KERN_NOTICE messages, among them random.c's "random: crng init done"; panic=-1 with
 * -no-reboot turns any panic into QEMU exiting instead of a hang.
 */
export const DEFAULT_APPEND = "console=ttyS0 loglevel=6 panic=-1";

/** The chardev/object/device arguments of one virtio-rng-pci device, index i. */
function rngArgs(b: RngBackend, i: number, many: boolean): string[] {
  const backend: string[] = (() => {
    switch (b.kind) {
      case "builtin":
        return ["-object", `rng-builtin,id=rng${i}`];
      case "egd-tcp":
        return [
          "-chardev",
          `socket,id=egd${i},host=${b.host ?? "127.0.0.1"},port=${b.port},nodelay=on`,
          "-object",
          `rng-egd,id=rng${i},chardev=egd${i}`,
        ];
      case "egd-unix":
        return [
          "-chardev",
          `socket,id=egd${i},path=${b.path}`,
          "-object",
          `rng-egd,id=rng${i},chardev=egd${i}`,
        ];
    }
  })();
  // Several devices get fixed, increasing PCI slots: the guest probes them in slot order, so
  // device i becomes hw_random's virtio_rng.i.
  const addr = many ? `,addr=0x${(0x10 + i).toString(16)}` : "";
  return [...backend, "-device", `virtio-rng-pci,rng=rng${i}${addr}`];
}

export function qemuArgs(o: QemuOptions): string[] {
  const list: readonly RngBackend[] = Array.isArray(o.rng) ? o.rng : [o.rng as RngBackend];
  const rng = list.flatMap((b, i) => rngArgs(b, i, list.length > 1));
  return [
    "-accel",
    o.accel ?? "tcg",
    "-m",
    String(o.memoryMb ?? 256),
    "-smp",
    "1",
    // No NIC (and no iPXE ROM), no VGA, no monitor: only what the test needs.
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-serial",
    "stdio",
    "-no-reboot",
    "-kernel",
    o.kernel,
    "-initrd",
    o.initrd,
    "-append",
    o.append ?? DEFAULT_APPEND,
    ...rng,
  ];
}

const KEEP_LINES = 5000;

/** A running QEMU whose serial console is read line by line. */
export class QemuGuest {
  readonly lines: string[] = [];
  readonly events: GuestEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private partial = "";
  private stderr = "";
  private readonly waiters = new Set<() => void>();
  private readonly consumed = new Map<string, number>();
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(o: QemuOptions) {
    const bin = findQemu();
    this.child = spawn(bin, qemuArgs(o), {
      stdio: [o.stdin ?? "pipe", "pipe", "pipe"],
    });
    this.child.stdin?.on("error", () => {});
    this.child.stdout!.on("data", (chunk: Buffer) => {
      o.echo?.(chunk);
      this.take(chunk.toString("latin1"));
    });
    this.child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.child.once("error", (err) => {
        this.stderr += `\n${err.message}`;
        this.exit = { code: null, signal: null };
        this.wake();
        resolve(this.exit);
      });
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Types a line on the guest's console. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /**
   * The next `vmrng-guest: <event>` line not returned before (successive calls walk through
   * repeated events such as read rounds).
   */
  nextEvent(event: string, timeoutMs: number): Promise<GuestEvent> {
    return this.until(
      () => {
        const skip = this.consumed.get(event) ?? 0;
        const hits = this.events.filter((e) => e.event === event);
        const hit = hits[skip];
        if (hit) this.consumed.set(event, skip + 1);
        return hit;
      },
      timeoutMs,
      `the guest's "${event}" report`,
    );
  }

  /** The first console line matching `re` (from the start of the boot). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    return this.until(() => this.lines.find((l) => re.test(l)), timeoutMs, `a line matching ${re}`);
  }

  /** Resolves when QEMU exits; kills it after `timeoutMs`. */
  async waitExit(
    timeoutMs: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.exit === null) this.child.kill("SIGKILL");
  }

  /** Asks QEMU to quit (SIGTERM: it stops the guest and exits cleanly). */
  terminate(): void {
    if (this.exit === null) this.child.kill("SIGTERM");
  }

  /** The last console lines and QEMU's stderr, for error messages. */
  tail(n = 25): string {
    const out = this.lines.slice(-n).join("\n");
    return this.stderr.trim() ? `${out}\n[qemu stderr] ${this.stderr.trim()}` : out;
  }

  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const v = probe();
        if (v !== undefined) {
          done();
          resolve(v);
          return true;
        }
        if (this.exit !== null) {
          done();
          reject(
            new QemuHarnessError(
              "E_GUEST",
              `QEMU exited (code ${this.exit.code}, signal ${this.exit.signal}) before ${what}; last console lines:\n${this.tail()}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new QemuHarnessError(
            "E_GUEST",
            `no ${what} within ${timeoutMs} ms; last console lines:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      const waiter = (): void => {
        check();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (!check()) this.waiters.add(waiter);
    });
  }

  private take(text: string): void {
    const parts = (this.partial + text).split("\n");
    this.partial = parts.pop() ?? "";
    if (this.partial.length > 65536) this.partial = this.partial.slice(-65536);
    for (const raw of parts) {
      const line = raw.replace(/\r/g, "");
      this.lines.push(line);
      if (this.lines.length > KEEP_LINES) this.lines.shift();
      const ev = parseGuestLine(line);
      if (ev) this.events.push(ev);
    }
    if (parts.length) this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
