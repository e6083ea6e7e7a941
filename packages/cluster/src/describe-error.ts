import type { TSchema } from "@sinclair/typebox";
import { type ValueError, ValueErrorType } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";

const show = (v: unknown): string =>
  v === undefined
    ? "nothing"
    : typeof v === "string"
      ? JSON.stringify(v)
      : (JSON.stringify(v) ?? String(v));

function literals(schema: TSchema): unknown[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf?.every((s) => "const" in s)) return undefined;
  return anyOf.map((s) => (s as unknown as { const: unknown }).const);
}

function bounds(s: Record<string, unknown>): string {
  const lo = s.minimum ?? s.exclusiveMinimum;
  const hi = s.maximum ?? s.exclusiveMaximum;
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`${"exclusiveMinimum" in s ? ">" : ">="} ${lo}`);
  if (hi !== undefined) parts.push(`${"exclusiveMaximum" in s ? "<" : "<="} ${hi}`);
  return parts.length ? ` ${parts.join(" and ")}` : "";
}

/** Turns one TypeBox error into "what was expected" in words a user can act on. */
export function describeExpected(error: ValueError): string {
  const s = error.schema as Record<string, unknown>;
  const got = `(got ${show(error.value)})`;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field; allowed fields: ${Object.keys((s.properties as object) ?? {}).join(", ")}`;
    case ValueErrorType.ObjectRequiredProperty:
      return "required field is missing";
    case ValueErrorType.ArrayUniqueItems:
      return `expected no repeated items ${got}`;
    default:
      break;
  }
  const lits = literals(error.schema);
  if (lits) return `expected one of ${lits.map(show).join(", ")} ${got}`;
  if ("const" in s) return `expected ${show(s.const)} ${got}`;
  if (Array.isArray(s.anyOf)) return `expected ${s.description ?? "one of several forms"} ${got}`;
  const desc = typeof s.description === "string" ? ` (${s.description})` : "";
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
      return `expected a list${"maxItems" in s ? ` of at most ${s.maxItems} items` : ""}${"minItems" in s && (s.minItems as number) > 0 ? ` with at least ${s.minItems}` : ""} ${got}`;
    case "object":
      return `expected a mapping${desc} ${got}`;
    default:
      return `${error.message} ${got}`;
  }
}

/**
 * A union of objects told apart by a literal `program` field (guest userspace programs): the
 * error of the branch the value names, so `{program: wireguard, sessions: 0}` reports
 * `/sessions`, not "Expected union value". Any other error is returned as it is.
 */
export function refineTaggedUnion(error: ValueError): ValueError {
  const anyOf = (error.schema as { anyOf?: TSchema[] }).anyOf;
  if (error.type !== ValueErrorType.Union || !anyOf) return error;
  const tagOf = (s: TSchema): unknown =>
    (s as { properties?: { program?: { const?: unknown } } }).properties?.program?.const;
  const tags = anyOf.map(tagOf);
  if (tags.some((t) => t === undefined)) return error;
  const v = error.value as { program?: unknown } | null;
  const branch = typeof v === "object" && v !== null ? anyOf[tags.indexOf(v.program)] : undefined;
  if (!branch) {
    const got = typeof v === "object" && v !== null ? v.program : v;
    return {
      ...error,
      path: typeof v === "object" && v !== null ? `${error.path}/program` : error.path,
      schema: { anyOf: tags.map((t) => ({ const: t })) } as unknown as TSchema,
      value: got,
    };
  }
  const inner = [...Value.Errors(branch, error.value)];
  const first = inner.reduce<ValueError | undefined>(
    (a, b) => (a && a.path.split("/").length >= b.path.split("/").length ? a : b),
    undefined,
  );
  return first ? { ...first, path: `${error.path}${first.path}` } : error;
}
