import type { MessageOf, MessageType } from "../src/index.js";

const bytes = (n: number, seed = 1): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

/** A 48-byte SETUP_RNG_SEED node: next=0, type=9, len=32, then the seed. */
function rngSeedNode(): Uint8Array {
  const node = new Uint8Array(48);
  const v = new DataView(node.buffer);
  v.setBigUint64(0, 0n, true);
  v.setUint32(8, 9, true);
  v.setUint32(12, 32, true);
  node.set(bytes(32, 7), 16);
  return node;
}

/**
 * One valid sample of every message type, chosen to exercise the awkward cases: u64 above 2^53
 * and small bigints, binaries, optional fields present, nested arrays and open objects.
 * The mapped type makes the compiler insist on a sample for every type in the catalogue.
 */
export const SAMPLES: { readonly [K in MessageType]: MessageOf<K> } = {
  hello: {
    t: "hello",
    minVersion: 1,
    maxVersion: 3,
    role: "guest",
    node: "vm-1",
    software: "vmrng-guest/0.1.0",
  },
  welcome: { t: "welcome", version: 1, role: "hypervisor", node: "hv-1", heartbeatMs: 5000 },
  refusal: {
    t: "refusal",
    code: "E_VERSION",
    message: "no common version",
    minVersion: 2,
    maxVersion: 4,
  },
  ok: { t: "ok", re: 7 },
  error: { t: "error", re: 9, code: "E_SCHEMA", message: "vm.start: /vm: bad", path: "/vm" },
  echo: { t: "echo", id: 1, data: bytes(64) },
  "echo.reply": { t: "echo.reply", re: 1, data: bytes(64, 3) },
  "cluster.up": { t: "cluster.up", id: 2, config: "/etc/vmrng/cluster.yaml" },
  "cluster.down": { t: "cluster.down", id: 3, timeoutMs: 5000 },
  "cluster.state": { t: "cluster.state", re: 3, state: "down", nodes: ["host", "hv-1", "vm-1"] },
  "vm.start": { t: "vm.start", id: 4, vm: "vm-1" },
  "vm.stop": { t: "vm.stop", id: 5, vm: "vm-1", timeoutMs: 2000 },
  "vm.restart": { t: "vm.restart", id: 6, vm: "vm-1" },
  "vm.pause": { t: "vm.pause", id: 7, vm: "vm-1" },
  "vm.resume": { t: "vm.resume", id: 8, vm: "vm-1" },
  "vm.kill": { t: "vm.kill", id: 9, vm: "vm-1" },
  "vm.state": { t: "vm.state", re: 9, vm: "vm-1", state: "running", pid: 4242 },
  "cpu.rdmsr": { t: "cpu.rdmsr", id: 41, vm: "vm-1", index: 0x400000c0 },
  "cpu.wrmsr": {
    t: "cpu.wrmsr",
    id: 42,
    vm: "vm-1",
    index: 0x400000c0,
    value: 0xdead_beef_0000_0001n,
  },
  "mem.read": { t: "mem.read", id: 43, vm: "vm-1", gpa: 0x30000n, len: 48 },
  "mem.data": { t: "mem.data", re: 43, vm: "vm-1", gpa: 0x30000n, data: bytes(48) },
  "entropy.get": { t: "entropy.get", id: 40, len: 32 },
  "entropy.data": { t: "entropy.data", re: 40, data: bytes(32) },
  "rng.getrandom": { t: "rng.getrandom", id: 10, vm: "vm-1", len: 32, flags: 1 },
  "rng.read": { t: "rng.read", id: 11, vm: "vm-1", source: "hwrng", len: 64, nonblock: true },
  "rng.data": { t: "rng.data", re: 10, vm: "vm-1", data: bytes(32) },
  "rng.errno": { t: "rng.errno", re: 11, vm: "vm-1", errno: "EAGAIN" },
  "status.get": { t: "status.get", id: 12, nodes: ["vm-1", "vm-2"] },
  "status.report": {
    t: "status.report",
    re: 12,
    nodes: [
      {
        node: "vm-1",
        role: "guest",
        pid: 4242,
        state: "running",
        uptimeMs: 1234.5,
        crng: {
          init: "READY",
          entropyAvail: 256,
          generation: 0xffff_ffff_ffff_fffen,
          readyAtMs: 812,
          readySource: "virtio-rng",
        },
        channels: [
          { channel: "virtio-rng", requests: 3n, bytes: 192n, errors: 0n },
          { channel: "setup_data", requests: 1n, bytes: 32n, errors: 0n },
        ],
      },
      { node: "hv-1", role: "hypervisor", pid: 4200, state: "running", uptimeMs: 99, channels: [] },
      {
        node: "host",
        role: "host",
        pid: 4100,
        state: "running",
        uptimeMs: 120,
        channels: [{ channel: "egd", requests: 9n, bytes: 1024n, errors: 1n }],
        egd: {
          port: 40123,
          socketPath: "/tmp/lab/egd.sock",
          connections: 2n,
          dropped: 1n,
          requests: 9n,
          bytes: 1024n,
          mixedBytes: 16n,
          clients: [
            {
              client: "tcp 127.0.0.1:51234",
              connectedMs: 80.5,
              requests: 8n,
              bytes: 1024n,
              mixedBytes: 16n,
              throttled: 0n,
            },
          ],
        },
      },
    ],
  },
  "fault.add": {
    t: "fault.add",
    id: 13,
    spec: {
      kind: "virtio.stall",
      target: "vm-1/virtio-rng",
      params: { afterMs: 100, bytes: bytes(4), nested: { list: [1, "two", null, true, 3n] } },
    },
  },
  "fault.added": { t: "fault.added", re: 13, fault: 1 },
  "fault.list": { t: "fault.list", id: 14 },
  "fault.listed": {
    t: "fault.listed",
    re: 14,
    faults: [{ fault: 1, active: true, spec: { kind: "rdrand.fail", target: "*", params: {} } }],
  },
  "fault.clear": { t: "fault.clear", id: 15, fault: 1 },
  "fault.cleared": { t: "fault.cleared", re: 15, cleared: 1 },
  "events.subscribe": {
    t: "events.subscribe",
    id: 16,
    nodes: ["vm-1"],
    kinds: ["crng.ready"],
    minLevel: "info",
  },
  "events.subscribed": { t: "events.subscribed", re: 16, sub: 1 },
  "events.unsubscribe": { t: "events.unsubscribe", id: 17, sub: 1 },
  event: {
    t: "event",
    sub: 1,
    node: "vm-1",
    vtimeMs: 812.25,
    kind: "crng.ready",
    level: "info",
    message: "random: crng init done",
    data: { generation: 1n, sources: ["setup_data", "virtio-rng"] },
  },
  "log.line": {
    t: "log.line",
    node: "vm-1",
    vtimeMs: 812,
    level: 5,
    text: "random: crng init done",
  },
  "log.read": { t: "log.read", id: 18, node: "vm-1", lines: 100, sinceMs: 0 },
  "log.lines": {
    t: "log.lines",
    re: 18,
    node: "vm-1",
    lines: [{ vtimeMs: 812, level: 5, text: "random: crng init done" }],
    more: false,
    dropped: 0,
  },
  "boot.params": {
    t: "boot.params",
    id: 19,
    bootParams: bytes(4096),
    setupData: [{ gpa: 0x1_0000_0000n, data: rngSeedNode() }],
    cpu: {
      cpus: 2,
      rdrand: { mode: "flaky", failProbability: 0.25 },
      coco: false,
      trustCpu: true,
      trustBootloader: true,
      trustMsr: false,
    },
    devices: {
      virtioRng: {
        present: true,
        queueSize: 256,
        rateLimit: {
          bytes: { size: 1024n, refillTimeMs: 1000 },
          ops: { size: 100n, refillTimeMs: 1000 },
        },
      },
      msr: { present: true, index: 0x4f000010, writable: true },
      vmgenid: { mode: "counter" },
    },
    clockRate: 1,
    irqRate: 100,
    userspace: [
      { program: "wireguard", sessions: 2, packetEveryMs: 1000 },
      { program: "getrandom-load", len: 32, everyMs: 250, flags: 1 },
    ],
  },
  "virtio.avail": { t: "virtio.avail", desc: 3, len: 64 },
  "virtio.used": { t: "virtio.used", desc: 3, data: bytes(64) },
  "msr.cpuid": { t: "msr.cpuid", id: 20, leaf: 0x4f000000, subleaf: 0 },
  "msr.cpuid.regs": {
    t: "msr.cpuid.regs",
    re: 20,
    eax: 0x4f000003,
    ebx: 0x6d6d6f43,
    ecx: 0x49564868,
    edx: 0x666e746e,
  },
  "msr.rdmsr": { t: "msr.rdmsr", id: 21, index: 0x4f000010 },
  "msr.value": { t: "msr.value", re: 21, index: 0x4f000010, value: 0xdead_beef_cafe_f00dn },
  "msr.wrmsr": { t: "msr.wrmsr", id: 22, index: 0x4f000010, value: 5n },
  "msr.written": { t: "msr.written", re: 22, index: 0x4f000010 },
  "msr.gp": { t: "msr.gp", re: 22, index: 0xc0000080 },
  "vmgenid.notify": { t: "vmgenid.notify", event: 0x80 },
  "vmgenid.read": { t: "vmgenid.read", id: 23 },
  "vmgenid.id": { t: "vmgenid.id", re: 23, vmgenid: bytes(16, 9) },
  "gencounter.read": { t: "gencounter.read", id: 24 },
  "gencounter.value": { t: "gencounter.value", re: 24, counter: 0n },
  "snap.save": { t: "snap.save", id: 25, vm: "vm-1", snapshot: "snap-1" },
  "snap.saved": {
    t: "snap.saved",
    re: 25,
    vm: "vm-1",
    snapshot: "snap-1",
    size: 1234n,
    vtimeMs: 5000,
  },
  "snap.restore": { t: "snap.restore", id: 26, vm: "vm-1", snapshot: "snap-1" },
  "snap.clone": { t: "snap.clone", id: 27, vm: "vm-1", clone: "vm-2", snapshot: "snap-1" },
  "snap.cloned": { t: "snap.cloned", re: 27, vm: "vm-2", from: "vm-1", snapshot: "snap-1" },
  "guest.save": { t: "guest.save", id: 28 },
  "guest.state": { t: "guest.state", re: 28, state: bytes(1000), vtimeMs: 5000 },
  "guest.load": { t: "guest.load", id: 29, state: bytes(1000), vtimeMs: 5000 },
  "vm.kexec": { t: "vm.kexec", id: 30, vm: "vm-1" },
  "guest.kexec": { t: "guest.kexec", id: 31 },
  "guest.kexec.seed": { t: "guest.kexec.seed", re: 31, seed: bytes(32), vtimeMs: 1200 },
};

/** Deep copy that keeps bigints and makes fresh Uint8Arrays (structuredClone does both). */
export function clone<T>(v: T): T {
  return structuredClone(v);
}
