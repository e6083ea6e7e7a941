import { defineKind, Int, NoParams, Params, PositiveMs } from "./define.js";

const device = { layer: "device", owner: "hypervisor", roles: ["guest"] } as const;

/** Faults of the paravirtual devices the hypervisor backs for a guest. */
export const DEVICE_KINDS = {
  "virtio.stall": defineKind({
    ...device,
    params: NoParams,
    description: "virtio-rng holds every request: no buffer is returned until removed",
    counterpart:
      "a starved host entropy source or a rate-limited backend (Firecracker token bucket)",
  }),
  "virtio.short": defineKind({
    ...device,
    params: Params({ bytes: Int(1, 63, 16) }),
    description: "virtio-rng returns only `bytes` of each request (used.len shorter than asked)",
    counterpart:
      "a backend with fewer bytes at hand than the buffer asks (QEMU virtio-rng pushes what it got)",
  }),
  "virtio.zeros": defineKind({
    ...device,
    params: NoParams,
    description: "virtio-rng fills every buffer with zeros",
    counterpart: "a broken or uninitialised backend; the guest credits it anyway (quality 1000)",
  }),
  "virtio.repeat": defineKind({
    ...device,
    params: NoParams,
    description: "virtio-rng returns the same bytes as the previous buffer",
    counterpart: "a backend replaying a buffer (a restored snapshot of the device state)",
  }),
  "msr.zero": defineKind({
    ...device,
    params: NoParams,
    description: "rdmsr of the CommonHV RNG MSR returns 0",
    counterpart:
      "a host with no entropy at hand (the proposal allows 0; the guest must not credit it)",
  }),
  "msr.gp": defineKind({
    ...device,
    params: NoParams,
    description: "rdmsr of the CommonHV RNG MSR raises #GP",
    counterpart: "a hypervisor violating the proposal's 'MUST NOT fault'",
  }),
  "vmgenid.lost": defineKind({
    ...device,
    params: NoParams,
    description: "the ACPI Notify(0x80) of a new VM generation id is never delivered",
    counterpart: "a lost ACPI notification; the clone runs on with its parent's CRNG state",
  }),
  "vmgenid.delay": defineKind({
    ...device,
    params: Params({ delayMs: PositiveMs() }),
    description: "deliver the vmgenid Notify delayMs late (the duplicate-output window grows)",
    counterpart: "the resume-to-notify race of every VM fork (Notify is asynchronous)",
  }),
  "vmgenid.duplicate": defineKind({
    ...device,
    params: NoParams,
    description: "deliver the vmgenid Notify twice",
    counterpart: "a spurious repeated ACPI notification",
  }),
  "vmgenid.unchanged": defineKind({
    ...device,
    params: NoParams,
    description: "send the vmgenid Notify without changing the id (the driver ignores it)",
    counterpart: "a VMM that notifies before writing the new id, or never writes it",
  }),
  malicious: defineKind({
    ...device,
    params: NoParams,
    description:
      "attacker-known values on every channel (seed, virtio, MSR, vmgenid): see attackerBytes()",
    counterpart: "a hostile hypervisor; a CoCo guest must not trust any of its channels",
  }),
} as const;
