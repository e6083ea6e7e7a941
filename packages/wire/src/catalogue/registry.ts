import type { Static, TObject } from "@sinclair/typebox";
import { BootParams } from "./boot.js";
import { ClusterDown, ClusterState, ClusterUp } from "./cluster.js";
import { EntropyData, EntropyGet } from "./entropy.js";
import { Event, EventsSubscribe, EventsSubscribed, EventsUnsubscribe } from "./event.js";
import { FaultAdd, FaultAdded, FaultClear, FaultCleared, FaultList, FaultListed } from "./fault.js";
import { Hello, Refusal, Welcome } from "./handshake.js";
import { GuestKexec, GuestKexecSeed, VmKexec } from "./kexec.js";
import { LogLine, LogLines, LogRead } from "./log.js";
import { MemData, MemRead } from "./mem.js";
import {
  CpuRdmsr,
  CpuWrmsr,
  MsrCpuid,
  MsrCpuidRegs,
  MsrGp,
  MsrRdmsr,
  MsrValue,
  MsrWritten,
  MsrWrmsr,
} from "./msr.js";
import { Echo, EchoReply, ErrorMsg, Ok } from "./reply.js";
import { RngData, RngErrno, RngGetrandom, RngRead } from "./rng.js";
import {
  GuestLoad,
  GuestSave,
  GuestState,
  SnapClone,
  SnapCloned,
  SnapRestore,
  SnapSave,
  SnapSaved,
} from "./snapshot.js";
import { StatusGet, StatusReport } from "./status.js";
import { VirtioAvail, VirtioUsed } from "./virtio.js";
import { VmKill, VmPause, VmRestart, VmResume, VmStart, VmState, VmStop } from "./vm.js";
import {
  GencounterRead,
  GencounterValue,
  VmgenidId,
  VmgenidNotify,
  VmgenidRead,
} from "./vmgenid.js";

/** Every message schema of the protocol, in catalogue order. */
export const SCHEMAS = [
  Hello,
  Welcome,
  Refusal,
  Ok,
  ErrorMsg,
  Echo,
  EchoReply,
  ClusterUp,
  ClusterDown,
  ClusterState,
  VmStart,
  VmStop,
  VmRestart,
  VmPause,
  VmResume,
  VmKill,
  VmState,
  RngGetrandom,
  RngRead,
  RngData,
  RngErrno,
  StatusGet,
  StatusReport,
  FaultAdd,
  FaultAdded,
  FaultList,
  FaultListed,
  FaultClear,
  FaultCleared,
  EventsSubscribe,
  EventsSubscribed,
  EventsUnsubscribe,
  Event,
  LogLine,
  LogRead,
  LogLines,
  BootParams,
  EntropyGet,
  EntropyData,
  VirtioAvail,
  VirtioUsed,
  MsrCpuid,
  MsrCpuidRegs,
  MsrRdmsr,
  MsrValue,
  MsrWrmsr,
  MsrWritten,
  MsrGp,
  CpuRdmsr,
  CpuWrmsr,
  MemRead,
  MemData,
  VmgenidNotify,
  VmgenidRead,
  VmgenidId,
  GencounterRead,
  GencounterValue,
  SnapSave,
  SnapSaved,
  SnapRestore,
  SnapClone,
  SnapCloned,
  GuestSave,
  GuestState,
  GuestLoad,
  VmKexec,
  GuestKexec,
  GuestKexecSeed,
] as const;

/** Any message of the protocol: a discriminated union on `t`. */
export type Message = Static<(typeof SCHEMAS)[number]>;
export type MessageType = Message["t"];
export type MessageOf<T extends MessageType> = Extract<Message, { t: T }>;

/** Messages that expect a reply: they carry a request `id`. */
export type Request = Extract<Message, { id: number }>;
export type RequestType = Request["t"];
/** Replies carry `re`, the id of the request they answer (`error` may omit it). */
export type ReplyMessage = Extract<Message, { re: number }>;
export type HandshakeType = "hello" | "welcome" | "refusal";
/** One-way messages: neither a request nor a reply nor part of the handshake. */
export type OneWay = Exclude<
  Message,
  Request | ReplyMessage | MessageOf<HandshakeType> | MessageOf<"error">
>;
export type OneWayType = OneWay["t"];

const BY_TYPE: ReadonlyMap<string, TObject> = new Map(
  SCHEMAS.map((s) => [s.properties.t.const as string, s as TObject]),
);

/** All message types, in catalogue order. */
export const MESSAGE_TYPES: readonly MessageType[] = SCHEMAS.map((s) => s.properties.t.const);

export function isMessageType(t: unknown): t is MessageType {
  return typeof t === "string" && BY_TYPE.has(t);
}

/** The schema of message type `t` (undefined for unknown types). */
export function schemaOf(t: string): TObject | undefined {
  return BY_TYPE.get(t);
}

export type MessageKind = "handshake" | "request" | "reply" | "error" | "oneway";

const HANDSHAKE: ReadonlySet<string> = new Set<HandshakeType>(["hello", "welcome", "refusal"]);

/** How the Link treats a message type, derived from its schema (required `id` / `re`). */
export function kindOf(t: MessageType): MessageKind {
  if (HANDSHAKE.has(t)) return "handshake";
  if (t === "error") return "error";
  const schema = BY_TYPE.get(t)!;
  const required = schema.required ?? [];
  if (required.includes("id")) return "request";
  if (required.includes("re")) return "reply";
  return "oneway";
}
