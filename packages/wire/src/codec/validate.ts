import { Kind, type TObject, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type ValueError } from "@sinclair/typebox/compiler";
import { Errors, type ValueErrorIterator } from "@sinclair/typebox/errors";
import { TypeSystemPolicy } from "@sinclair/typebox/system";
import type { Message } from "../catalogue/registry.js";
import { MESSAGE_TYPES, schemaOf } from "../catalogue/registry.js";
import { WireError } from "../errors.js";
import { normaliseIntegers } from "./normalise.js";
import { PRECOMPILED_CHECKS } from "./precompiled-checks.js";

/**
 * Compiled validators, one per message type, built on first use (compiling all ~60 at import
 * would cost every process startup for types it may never see). Dispatch is by `t`, so a check
 * runs one schema, not a 60-way union.
 *
 * They are compiled with exact optional properties: an optional field is either absent or valid,
 * never `undefined` (MessagePack has no undefined; a frame never carries one). The policy is a
 * TypeBox global, so it is switched on only around our own compile and error calls.
 */
const checkers = new Map<string, Checker>();

/** What validation needs of a compiled check (TypeBox's TypeCheck has this shape). */
interface Checker {
  Check(value: unknown): boolean;
  Schema(): TObject;
  Errors(value: unknown): ValueErrorIterator;
}

/**
 * A precompiled check in a Checker's shape. Not a TypeCheck: its constructor walks the whole
 * schema for transforms (HasTransform), a millisecond of a guest's boot for a catalogue that
 * has none.
 */
function precompiledChecker(schema: TObject, check: (value: unknown) => boolean): Checker {
  return {
    Check: check,
    Schema: () => schema,
    Errors: (value) => Errors(schema, [], value),
  };
}

function withExactOptional<R>(fn: () => R): R {
  const previous = TypeSystemPolicy.ExactOptionalPropertyTypes;
  TypeSystemPolicy.ExactOptionalPropertyTypes = true;
  try {
    return fn();
  } finally {
    TypeSystemPolicy.ExactOptionalPropertyTypes = previous;
  }
}

function checkerFor(t: string): Checker | undefined {
  let c = checkers.get(t);
  if (c === undefined) {
    const schema = schemaOf(t);
    if (schema === undefined) return undefined;
    const pre = Object.hasOwn(PRECOMPILED_CHECKS, t) ? PRECOMPILED_CHECKS[t] : undefined;
    c =
      pre === undefined
        ? withExactOptional(() => TypeCompiler.Compile(schema))
        : precompiledChecker(schema, pre);
    checkers.set(t, c);
  }
  return c;
}

/**
 * The check TypeCompiler.Compile would build for message type `t` (same policy), as the source
 * of a function `(kind, format, hash) => check`; undefined for an unknown type or one whose
 * check needs TypeBox's runtime registries (it then stays compiled at runtime).
 */
export function checkSource(t: string): string | undefined {
  const schema = schemaOf(t);
  if (schema === undefined) return undefined;
  const code = withExactOptional(() => TypeCompiler.Code(schema, [], { language: "javascript" }));
  return /\b(kind|format|hash)\(/.test(code) ? undefined : code;
}

/**
 * An ES module exporting PRECOMPILED_CHECKS for every message type checkSource() can express:
 * what a bundler puts in place of precompiled-checks.js.
 */
export function precompiledChecksModule(): string {
  const entries: string[] = [];
  for (const t of MESSAGE_TYPES) {
    const code = checkSource(t);
    if (code === undefined) continue;
    entries.push(`  ${JSON.stringify(t)}: (function () {\n${code}\n})(),`);
  }
  return `export const PRECOMPILED_CHECKS = {\n${entries.join("\n")}\n};\n`;
}

/** Fast boolean check of a complete message (no normalisation, no error detail). */
export function isMessage(value: unknown): value is Message {
  if (typeof value !== "object" || value === null) return false;
  const t = (value as { t?: unknown }).t;
  if (typeof t !== "string") return false;
  const c = checkerFor(t);
  return c?.Check(value) === true;
}

export interface ValidateOptions {
  /** Decoding: repair integer-width differences another encoder may introduce (normalise.ts). */
  normalise?: boolean;
  /**
   * Encoding: accept optional fields set to `undefined` by returning a copy without them
   * (TypeScript lets callers write `{ timeoutMs: maybe }`; the frame simply omits the field).
   */
  dropUndefined?: boolean;
}

/**
 * Validates `value` as a catalogue message and returns it typed (a copy when `dropUndefined`
 * removed fields). Throws WireError E_SCHEMA naming the first offending field and what it
 * expected, or E_UNKNOWN_TYPE. Both repairs run only after the fast check failed.
 */
export function validateMessage(value: unknown, options: ValidateOptions = {}): Message {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WireError("E_SCHEMA", "message: expected an object");
  }
  const record = value as Record<string, unknown>;
  const t = record.t;
  if (typeof t !== "string") {
    throw new WireError("E_SCHEMA", "message: /t: expected a message type string", {
      path: "/t",
      requestId: readRequestId(record),
    });
  }
  const checker = checkers.get(t) ?? checkerFor(t);
  if (checker === undefined) {
    throw new WireError(
      "E_UNKNOWN_TYPE",
      `unknown message type ${JSON.stringify(t.slice(0, 64))}`,
      { requestId: readRequestId(record) },
    );
  }
  if (checker.Check(value)) return value as Message;
  let candidate: unknown = value;
  if (options.dropUndefined) {
    candidate = withoutUndefined(value);
    if (checker.Check(candidate)) return candidate as Message;
  }
  if (options.normalise) {
    normaliseIntegers(checker.Schema(), candidate);
    if (checker.Check(candidate)) return candidate as Message;
  }
  const first = withExactOptional(() => checker.Errors(candidate).First());
  const path = first?.path || "/";
  throw new WireError("E_SCHEMA", `${t}: ${path}: ${describe(first)}`, {
    path,
    requestId: readRequestId(record),
  });
}

/** The request id of a (possibly invalid) message, if it carries a well-formed one. */
export function readRequestId(record: Record<string, unknown>): number | undefined {
  const id = record.id;
  return typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= 0xffff_ffff
    ? id
    : undefined;
}

/** A copy of plain objects and arrays with undefined-valued properties left out. */
function withoutUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutUndefined);
  if (typeof v !== "object" || v === null || Object.getPrototypeOf(v) !== Object.prototype) {
    return v; // scalars, Uint8Array, anything exotic: kept as is (and judged by the schema)
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = withoutUndefined(x);
  return out;
}

function describe(error: ValueError | undefined): string {
  if (error === undefined) return "invalid";
  const schema: TSchema = error.schema;
  if (schema[Kind] === "Union") {
    const options = (schema.anyOf as TSchema[]).filter((s) => s[Kind] === "Literal");
    if (options.length === (schema.anyOf as TSchema[]).length) {
      return `expected one of ${options.map((s) => JSON.stringify(s.const)).join(", ")}`;
    }
  }
  return error.message.charAt(0).toLowerCase() + error.message.slice(1);
}
