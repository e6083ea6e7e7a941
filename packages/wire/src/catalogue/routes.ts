import type { Static } from "@sinclair/typebox";
import type { Role } from "./common.js";
import type { MessageOf, MessageType, RequestType } from "./registry.js";

export type RoleName = Static<typeof Role>;

/**
 * For each request, the reply types that may answer it (an `error` may answer any request).
 * The Link rejects a reply of any other type. Checked for completeness by the compiler.
 */
export const REPLIES = {
  echo: ["echo.reply"],
  "cluster.up": ["cluster.state"],
  "cluster.down": ["cluster.state"],
  "vm.start": ["vm.state"],
  "vm.stop": ["vm.state"],
  "vm.restart": ["vm.state"],
  "vm.pause": ["vm.state"],
  "vm.resume": ["vm.state"],
  "vm.kill": ["vm.state"],
  "rng.getrandom": ["rng.data", "rng.errno"],
  "rng.read": ["rng.data", "rng.errno"],
  "status.get": ["status.report"],
  "fault.add": ["fault.added"],
  "fault.list": ["fault.listed"],
  "fault.clear": ["fault.cleared"],
  "events.subscribe": ["events.subscribed"],
  "events.unsubscribe": ["ok"],
  "log.read": ["log.lines"],
  "boot.params": ["ok"],
  "entropy.get": ["entropy.data"],
  "msr.cpuid": ["msr.cpuid.regs"],
  "msr.rdmsr": ["msr.value", "msr.gp"],
  "msr.wrmsr": ["msr.written", "msr.gp"],
  "cpu.rdmsr": ["msr.value", "msr.gp"],
  "cpu.wrmsr": ["msr.written", "msr.gp"],
  "mem.read": ["mem.data"],
  "vmgenid.read": ["vmgenid.id"],
  "gencounter.read": ["gencounter.value"],
  "snap.save": ["snap.saved"],
  "snap.restore": ["vm.state"],
  "snap.clone": ["snap.cloned"],
  "guest.save": ["guest.state"],
  "guest.load": ["ok"],
  "vm.kexec": ["vm.state"],
  "guest.kexec": ["guest.kexec.seed"],
} as const satisfies { readonly [K in RequestType]: readonly MessageType[] };

export type ReplyType<T extends RequestType> = (typeof REPLIES)[T][number];
/** The reply message(s) a request of type T may get. */
export type ReplyTo<T extends RequestType> = MessageOf<ReplyType<T>>;

const ANY: readonly RoleName[] = ["host", "hypervisor", "guest", "client"];
const CONTROL: readonly RoleName[] = ["client", "host"];
const LIFECYCLE: readonly RoleName[] = ["client", "host", "hypervisor"];
const ABOVE_GUEST: readonly RoleName[] = ["host", "hypervisor", "guest"];
const HYPERVISOR: readonly RoleName[] = ["hypervisor"];
const GUEST: readonly RoleName[] = ["guest"];

/**
 * Which peer roles may send each message type. The Link refuses (E_AUTH) a message whose
 * sender's authenticated role is not listed: a guest token cannot inject faults, answer for the
 * hypervisor or start VMs. It mirrors the "who → whom" comment on every schema.
 */
export const SENDERS = {
  hello: ANY,
  welcome: ANY,
  refusal: ANY,
  ok: ANY,
  error: ANY,
  echo: ANY,
  "echo.reply": ANY,
  "cluster.up": ["client"],
  "cluster.down": ["client"],
  "cluster.state": ["host"],
  "vm.start": CONTROL,
  "vm.stop": LIFECYCLE,
  "vm.restart": CONTROL,
  "vm.pause": LIFECYCLE,
  "vm.resume": LIFECYCLE,
  "vm.kill": CONTROL,
  "vm.state": ABOVE_GUEST,
  "rng.getrandom": LIFECYCLE,
  "rng.read": LIFECYCLE,
  "rng.data": ABOVE_GUEST,
  "rng.errno": ABOVE_GUEST,
  "status.get": LIFECYCLE,
  "status.report": ABOVE_GUEST,
  // Faults flow down to the process that applies them: the host arms link and process faults
  // on hypervisors, a hypervisor arms device faults itself and CPU/clock faults in its guests.
  "fault.add": LIFECYCLE,
  "fault.added": ABOVE_GUEST,
  "fault.list": LIFECYCLE,
  "fault.listed": ABOVE_GUEST,
  "fault.clear": LIFECYCLE,
  "fault.cleared": ABOVE_GUEST,
  "events.subscribe": ["client"],
  "events.subscribed": ["host"],
  "events.unsubscribe": ["client"],
  event: ABOVE_GUEST,
  "log.line": ["hypervisor", "guest"],
  "log.read": LIFECYCLE,
  "log.lines": ABOVE_GUEST,
  "boot.params": HYPERVISOR,
  "entropy.get": HYPERVISOR,
  "entropy.data": ["host"],
  "virtio.avail": GUEST,
  "virtio.used": HYPERVISOR,
  "msr.cpuid": GUEST,
  "msr.cpuid.regs": HYPERVISOR,
  "msr.rdmsr": GUEST,
  // A guest also answers userspace cpu.rdmsr/cpu.wrmsr with these; replies are correlated, so
  // a guest can only ever answer a request it was sent.
  "msr.value": ABOVE_GUEST,
  "msr.wrmsr": GUEST,
  "msr.written": ABOVE_GUEST,
  "msr.gp": ABOVE_GUEST,
  "cpu.rdmsr": LIFECYCLE,
  "cpu.wrmsr": LIFECYCLE,
  "mem.read": LIFECYCLE,
  "mem.data": ABOVE_GUEST,
  "vmgenid.notify": HYPERVISOR,
  "vmgenid.read": GUEST,
  "vmgenid.id": HYPERVISOR,
  "gencounter.read": GUEST,
  "gencounter.value": HYPERVISOR,
  "snap.save": CONTROL,
  "snap.saved": ["host", "hypervisor"],
  "snap.restore": CONTROL,
  "snap.clone": CONTROL,
  "snap.cloned": ["host", "hypervisor"],
  "guest.save": HYPERVISOR,
  "guest.state": GUEST,
  "guest.load": HYPERVISOR,
  "vm.kexec": CONTROL,
  "guest.kexec": HYPERVISOR,
  "guest.kexec.seed": GUEST,
} as const satisfies { readonly [K in MessageType]: readonly RoleName[] };

/** Whether a peer authenticated as `role` may send a message of type `t`. */
export function maySend(role: RoleName, t: MessageType): boolean {
  return (SENDERS[t] as readonly RoleName[]).includes(role);
}
