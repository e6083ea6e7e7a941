import { type Static, Type } from "@sinclair/typebox";
import { Bytes, NodeId, Obj, ReqId, Tag, U64 } from "./common.js";

/** Largest guest-physical read in one request: one page. */
export const MEM_READ_MAX = 4096;

/**
 * client/host → hypervisor → guest: read guest-physical memory, like QEMU's monitor command
 * `xp /Nxb ADDR`. Used to check what the loader wrote and what the kernel erased (the
 * SETUP_RNG_SEED data and len must read back as zeros after boot).
 */
export const MemRead = Obj({
  t: Tag("mem.read"),
  id: ReqId,
  vm: NodeId,
  gpa: U64,
  len: Type.Integer({ minimum: 1, maximum: MEM_READ_MAX }),
});
export type MemRead = Static<typeof MemRead>;

/** guest → hypervisor → host → client: the bytes at `gpa`. */
export const MemData = Obj({
  t: Tag("mem.data"),
  re: ReqId,
  vm: NodeId,
  gpa: U64,
  data: Bytes(MEM_READ_MAX),
});
export type MemData = Static<typeof MemData>;
