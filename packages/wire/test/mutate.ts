import { Kind, type TObject, type TSchema } from "@sinclair/typebox";

/** A single-field corruption of a valid message, and the field path the error must name. */
export interface Mutation {
  readonly what: string;
  /** JSON-pointer path of the corrupted field (the validator's error must point here or below). */
  readonly path: string;
  readonly apply: (root: Record<string, unknown>) => void;
}

type Container = Record<string, unknown> | unknown[];

function at(root: Record<string, unknown>, keys: readonly (string | number)[]): Container {
  let v: unknown = root;
  for (const k of keys) v = (v as Record<string | number, unknown>)[k];
  return v as Container;
}

const pointer = (keys: readonly (string | number)[]): string =>
  keys.length === 0 ? "" : `/${keys.join("/")}`;

/**
 * Walks a message schema beside a valid sample and yields, for every field: removal (when
 * required), a value of the wrong type, an unknown extra field on every object, and values just
 * beyond each bound the schema declares (maxLength, maxByteLength/minByteLength, maxItems,
 * minimum/maximum, maxProperties, key patterns).
 */
export function* mutations(schema: TObject, sample: Record<string, unknown>): Generator<Mutation> {
  yield* objectMutations(schema, sample, []);
}

function* objectMutations(
  schema: TObject,
  value: Record<string, unknown>,
  keys: (string | number)[],
): Generator<Mutation> {
  const here = pointer(keys);
  yield {
    what: `unknown field at ${here || "/"}`,
    path: `${here}/unexpected`,
    apply: (root) => {
      (at(root, keys) as Record<string, unknown>).unexpected = 1;
    },
  };
  const required = new Set(schema.required ?? []);
  for (const [key, sub] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const path = [...keys, key];
    const p = pointer(path);
    const present = Object.hasOwn(value, key);
    if (required.has(key) && key !== "t") {
      yield {
        what: `missing ${p}`,
        path: p,
        apply: (root) => {
          delete (at(root, keys) as Record<string, unknown>)[key];
        },
      };
    }
    if (key === "t") continue; // the discriminant is tested on its own
    yield* fieldMutations(sub, present ? value[key] : undefined, path);
  }
}

function set(keys: (string | number)[], v: unknown): (root: Record<string, unknown>) => void {
  const parent = keys.slice(0, -1);
  const last = keys[keys.length - 1]!;
  return (root) => {
    (at(root, parent) as Record<string | number, unknown>)[last] = v;
  };
}

function* fieldMutations(
  schema: TSchema,
  value: unknown,
  keys: (string | number)[],
): Generator<Mutation> {
  const p = pointer(keys);
  const kind = schema[Kind] as string;
  const wrong = wrongTypeValue(schema);
  if (wrong !== NONE) yield { what: `wrong type at ${p}`, path: p, apply: set(keys, wrong.v) };
  switch (kind) {
    case "String":
      if (typeof schema.maxLength === "number") {
        yield {
          what: `string too long at ${p}`,
          path: p,
          apply: set(keys, "a".repeat(schema.maxLength + 1)),
        };
      }
      if (typeof schema.minLength === "number" && schema.minLength > 0) {
        yield { what: `string too short at ${p}`, path: p, apply: set(keys, "") };
      }
      if (typeof schema.pattern === "string") {
        yield { what: `string off-pattern at ${p}`, path: p, apply: set(keys, "has space!") };
      }
      return;
    case "Uint8Array":
      if (typeof schema.maxByteLength === "number") {
        yield {
          what: `binary too long at ${p}`,
          path: p,
          apply: set(keys, new Uint8Array(schema.maxByteLength + 1)),
        };
      }
      if (typeof schema.minByteLength === "number" && schema.minByteLength > 0) {
        yield {
          what: `binary too short at ${p}`,
          path: p,
          apply: set(keys, new Uint8Array(schema.minByteLength - 1)),
        };
      }
      return;
    case "Integer":
    case "Number":
      if (typeof schema.maximum === "number") {
        yield { what: `number above max at ${p}`, path: p, apply: set(keys, schema.maximum + 1) };
      }
      if (typeof schema.minimum === "number") {
        yield { what: `number below min at ${p}`, path: p, apply: set(keys, schema.minimum - 1) };
      }
      if (typeof schema.exclusiveMinimum === "number") {
        yield {
          what: `number at exclusive min ${p}`,
          path: p,
          apply: set(keys, schema.exclusiveMinimum),
        };
      }
      if (kind === "Integer") {
        yield { what: `fraction at ${p}`, path: p, apply: set(keys, 1.5) };
      }
      return;
    case "BigInt":
      if (typeof schema.exclusiveMaximum === "bigint") {
        yield {
          what: `bigint at exclusive max ${p}`,
          path: p,
          apply: set(keys, schema.exclusiveMaximum),
        };
      }
      if (typeof schema.minimum === "bigint") {
        yield { what: `bigint below min ${p}`, path: p, apply: set(keys, schema.minimum - 1n) };
      }
      return;
    case "Array": {
      if (!Array.isArray(value)) return;
      const item = value[0];
      if (typeof schema.maxItems === "number" && item !== undefined) {
        yield {
          what: `array too long at ${p}`,
          path: p,
          apply: set(
            keys,
            Array.from({ length: schema.maxItems + 1 }, () => structuredClone(item)),
          ),
        };
      }
      if (item !== undefined) yield* fieldMutations(schema.items as TSchema, item, [...keys, 0]);
      return;
    }
    case "Object":
      if (value !== undefined) {
        yield* objectMutations(schema as TObject, value as Record<string, unknown>, keys);
      }
      return;
    case "Record":
      if (typeof schema.maxProperties === "number") {
        const big: Record<string, number> = {};
        for (let i = 0; i <= schema.maxProperties; i++) big[`k${i}`] = i;
        yield { what: `record too big at ${p}`, path: p, apply: set(keys, big) };
      }
      yield {
        what: `record key off-pattern at ${p}`,
        path: p,
        apply: set(keys, { "bad key!": 1 }),
      };
      return;
    default:
      return;
  }
}

const NONE = Symbol("none");

/** A value whose type the schema does not accept (NONE where anything encodable is accepted). */
function wrongTypeValue(schema: TSchema): { v: unknown } | typeof NONE {
  switch (schema[Kind]) {
    case "String":
      return { v: 42 };
    case "Integer":
    case "Number":
      return { v: "12" };
    case "BigInt":
      return { v: "12" };
    case "Boolean":
      return { v: 1 };
    case "Uint8Array":
      return { v: "not bytes" };
    case "Array":
      return { v: { 0: "x" } };
    case "Object":
    case "Record":
      return { v: ["x"] };
    case "Literal":
      return {
        v: typeof schema.const === "number" ? schema.const + 1 : `${String(schema.const)}-x`,
      };
    case "Union":
      // enums of literals; the open value type (with $id) accepts every encodable value
      return schema.$id === undefined ? { v: "not-a-member" } : NONE;
    default:
      return NONE;
  }
}
