import { type TLiteral, type TProperties, type TUnion, Type } from "@sinclair/typebox";

/**
 * Building blocks shared by every catalogue file. Every object is closed
 * (`additionalProperties: false`): an unknown field is an error, never silently ignored.
 */
export function Obj<P extends TProperties>(properties: P) {
  return Type.Object(properties, { additionalProperties: false });
}

/** A closed string enum, e.g. `Enum(["ok", "absent"])`. */
export function Enum<const V extends readonly string[]>(values: V): TUnion<TLiteral<V[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)));
}

/** The discriminant: every message has `t`, a string literal naming its type. */
export function Tag<const T extends string>(t: T): TLiteral<T> {
  return Type.Literal(t);
}

export const U8 = Type.Integer({ minimum: 0, maximum: 0xff });
export const U16 = Type.Integer({ minimum: 0, maximum: 0xffff });
export const U32 = Type.Integer({ minimum: 0, maximum: 0xffff_ffff });
/**
 * u64 as bigint. `exclusiveMaximum` (not `maximum: 2^64-1`): TypeBox compiles the bound as
 * `BigInt(<number literal>)`, and 2^64-1 is not a double while 2^64 is, so only this form is exact.
 */
export const U64 = Type.BigInt({ minimum: 0n, exclusiveMaximum: 1n << 64n });
/** Non-negative duration or virtual time in milliseconds (fractional allowed, finite). */
export const Millis = Type.Number({ minimum: 0 });

/** Request ids: non-zero u32, chosen by the requester, echoed as `re` in the reply. */
export const ReqId = Type.Integer({ minimum: 1, maximum: 0xffff_ffff });

/** Node ids (host, hypervisors, guests, clients) and snapshot ids: short, path- and log-safe. */
export const NODE_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";
export const NodeId = Type.String({ pattern: NODE_ID_PATTERN, maxLength: 63 });

/** Who a connection speaks for. `client` = the CLI, scenario scripts, the dashboard. */
export const Role = Enum(["host", "hypervisor", "guest", "client"]);

/** Free text (messages, log lines), capped in UTF-16 units. */
export function Text(maxLength: number, minLength = 0) {
  return Type.String({ maxLength, minLength });
}

/** Binary data (always a Uint8Array, copied out of the frame on decode), capped in bytes. */
export function Bytes(maxByteLength: number, minByteLength = 0) {
  return Type.Uint8Array({ maxByteLength, minByteLength });
}

/** Error codes on the wire: E_ followed by capitals; open-ended so newer peers can add codes. */
export const ErrorCodeText = Type.String({ pattern: "^E_[A-Z0-9_]{1,40}$", maxLength: 42 });

/** Short machine keys (event kinds, fault kinds, open-object keys). */
export const KEY_PATTERN = "^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$";
export const Key = Type.String({ pattern: KEY_PATTERN, maxLength: 64 });

/**
 * An open-ended, still bounded value for structured event data and fault parameters: scalars,
 * bytes, bigints, arrays and string-keyed records, at most 64 keys / 256 items per level. The
 * codec's depth limit bounds the nesting.
 */
export const OpenValue = Type.Recursive(
  (Self) =>
    Type.Union([
      Type.Null(),
      Type.Boolean(),
      Type.Number(),
      Type.BigInt({ minimum: -(1n << 63n), exclusiveMaximum: 1n << 64n }),
      Text(4096),
      Bytes(65536),
      Type.Array(Self, { maxItems: 256 }),
      Type.Record(Type.String({ pattern: KEY_PATTERN }), Self, {
        maxProperties: 64,
        additionalProperties: false,
      }),
    ]),
  { $id: "OpenValue" },
);
export const OpenObject = Type.Record(Type.String({ pattern: KEY_PATTERN }), OpenValue, {
  maxProperties: 64,
  additionalProperties: false,
});
