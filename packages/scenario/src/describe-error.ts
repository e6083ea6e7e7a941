import type { TSchema } from "@sinclair/typebox";
import { type ValueError, ValueErrorType } from "@sinclair/typebox/errors";

const show = (v: unknown): string =>
  v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v));

function literals(schema: TSchema): unknown[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf?.every((s) => "const" in s)) return undefined;
  return anyOf.map((s) => (s as unknown as { const: unknown }).const);
}

function bounds(s: Record<string, unknown>): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`<= ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.length ? ` ${parts.join(" and ")}` : "";
}

/** One TypeBox error as "what was expected", in words a scenario author can act on. */
export function describeExpected(error: ValueError): string {
  const s = error.schema as Record<string, unknown>;
  const got = `(got ${show(error.value)})`;
  const desc = typeof s.description === "string" ? ` (${s.description})` : "";
  if (error.type === ValueErrorType.ObjectAdditionalProperties)
    return `unknown field; allowed fields: ${Object.keys((s.properties as object) ?? {}).join(", ")}`;
  if (error.type === ValueErrorType.ObjectRequiredProperty) return "required field is missing";
  if (error.type === ValueErrorType.ArrayUniqueItems) return `expected no repeated items ${got}`;
  const lits = literals(error.schema);
  if (lits) return `expected one of ${lits.map(show).join(", ")} ${got}`;
  if ("const" in s) return `expected ${show(s.const)} ${got}`;
  if (Array.isArray(s.anyOf)) return `expected ${s.description ?? "one of several forms"} ${got}`;
  switch (s.type) {
    case "integer":
      return `expected an integer${bounds(s)}${desc} ${got}`;
    case "number":
      return `expected a number${bounds(s)}${desc} ${got}`;
    case "boolean":
      return `expected true or false ${got}`;
    case "string":
      return `expected a string${"pattern" in s ? ` matching ${s.pattern}` : ""}${desc} ${got}`;
    case "array":
      return `expected a list${"minItems" in s ? ` of at least ${s.minItems}` : ""}${"maxItems" in s ? ` of at most ${s.maxItems} items` : ""} ${got}`;
    case "object":
      return `expected a mapping${desc} ${got}`;
    default:
      return `${error.message} ${got}`;
  }
}
