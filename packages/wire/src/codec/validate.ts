import { Kind, type TObject, type TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler, type ValueError } from "@sinclair/typebox/compiler";
import { isMessageType, type Message, schemaOf } from "../catalogue/registry.js";
import { WireError } from "../errors.js";
import { normaliseIntegers } from "./normalise.js";

/**
 * Compiled validators, one per message type, built on first use (compiling all ~60 at import
 * would cost every process startup for types it may never see). Dispatch is by `t`, so a check
 * runs one schema, not a 60-way union.
 */
const checkers = new Map<string, TypeCheck<TObject>>();

function checkerFor(t: string): TypeCheck<TObject> | undefined {
  let c = checkers.get(t);
  if (c === undefined) {
    const schema = schemaOf(t);
    if (schema === undefined) return undefined;
    c = TypeCompiler.Compile(schema);
    checkers.set(t, c);
  }
  return c;
}

/** Fast boolean check of a complete message (no normalisation, no error detail). */
export function isMessage(value: unknown): value is Message {
  if (typeof value !== "object" || value === null) return false;
  const t = (value as { t?: unknown }).t;
  if (typeof t !== "string") return false;
  const c = checkerFor(t);
  return c?.Check(value) === true;
}

/**
 * Validates `value` as a catalogue message and returns it typed. Throws WireError E_SCHEMA
 * naming the first offending field and what it expected, or E_UNKNOWN_TYPE. With `normalise`,
 * integer-width differences (see normalise.ts) are repaired first when the fast check fails.
 */
export function validateMessage(value: unknown, normalise = false): Message {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WireError("E_SCHEMA", "message: expected an object");
  }
  const record = value as Record<string, unknown>;
  const t = record.t;
  const requestId = readRequestId(record);
  if (typeof t !== "string") {
    throw new WireError("E_SCHEMA", "message: /t: expected a message type string", {
      path: "/t",
      requestId,
    });
  }
  const checker = checkerFor(t);
  if (checker === undefined || !isMessageType(t)) {
    throw new WireError(
      "E_UNKNOWN_TYPE",
      `unknown message type ${JSON.stringify(t.slice(0, 64))}`,
      {
        requestId,
      },
    );
  }
  if (checker.Check(value)) return value as Message;
  if (normalise) {
    normaliseIntegers(checker.Schema(), value);
    if (checker.Check(value)) return value as Message;
  }
  const first = checker.Errors(value).First();
  const path = first?.path || "/";
  throw new WireError("E_SCHEMA", `${t}: ${path}: ${describe(first)}`, { path, requestId });
}

/** The request id of a (possibly invalid) message, if it carries a well-formed one. */
export function readRequestId(record: Record<string, unknown>): number | undefined {
  const id = record.id;
  return typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= 0xffff_ffff
    ? id
    : undefined;
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
