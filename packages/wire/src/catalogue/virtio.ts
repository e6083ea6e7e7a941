import { type Static, Type } from "@sinclair/typebox";
import { Bytes, Obj, Tag } from "./common.js";

/** Largest buffer a virtio-rng descriptor may offer on the wire. */
export const VIRTIO_RNG_MAX_BUF = 65536;

/** Descriptor indexes are below the queue size, itself at most 32768 (virtio 1.2, §2.7). */
export const DescId = Type.Integer({ minimum: 0, maximum: 32767 });

/**
 * One-way. guest → hypervisor: the driver made a device-writable buffer of `len` bytes available
 * (virtqueue avail ring; drivers/char/hw_random/virtio-rng.c register_buffer). The device answers
 * whenever it has entropy, possibly much later (rate limits), with `virtio.used`.
 */
export const VirtioAvail = Obj({
  t: Tag("virtio.avail"),
  desc: DescId,
  len: Type.Integer({ minimum: 1, maximum: VIRTIO_RNG_MAX_BUF }),
});
export type VirtioAvail = Static<typeof VirtioAvail>;

/**
 * One-way. hypervisor → guest: the device returned descriptor `desc` on the used ring; `data`
 * holds the bytes it wrote (the used element's `len` is data.byteLength, at most the offered len).
 */
export const VirtioUsed = Obj({
  t: Tag("virtio.used"),
  desc: DescId,
  data: Bytes(VIRTIO_RNG_MAX_BUF),
});
export type VirtioUsed = Static<typeof VirtioUsed>;
