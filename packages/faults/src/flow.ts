import { FaultError } from "./errors.js";

/**
 * A one-level flow object: JSON (`{"kind":"latency","latencyMs":200}`) or its YAML flow form
 * (`{kind: latency, latencyMs: 200}`), the two shapes a user types on a command line. Scalars
 * only: strings (quoted or bare), numbers, true/false, null. Nested values are refused.
 */
export function parseFlowObject(text: string): Record<string, unknown> {
  const t = text.trim();
  if (!t.startsWith("{") || !t.endsWith("}")) {
    throw new FaultError(
      "E_FAULT_SPEC",
      `bad spec '${text}': a flow object starts with { and ends with }`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    parsed = parseYamlFlow(t);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new FaultError("E_FAULT_SPEC", `bad spec '${text}': expected an object`);
  }
  return parsed as Record<string, unknown>;
}

function splitTopLevel(body: string, source: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quote: string | null = null;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quote !== null) {
      cur += c;
      if (c === "\\" && quote === '"' && i + 1 < body.length) cur += body[++i];
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "{" || c === "[") {
      throw new FaultError(
        "E_FAULT_SPEC",
        `bad spec '${source}': nested objects and lists are not supported`,
      );
    } else if (c === ",") {
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  if (quote !== null)
    throw new FaultError("E_FAULT_SPEC", `bad spec '${source}': unterminated quote`);
  parts.push(cur);
  return parts;
}

function unquote(s: string, source: string): string {
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      throw new FaultError("E_FAULT_SPEC", `bad spec '${source}': bad quoted string ${s}`);
    }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) {
      throw new FaultError("E_FAULT_SPEC", `bad spec '${source}': bad quoted string ${s}`);
    }
    return s.slice(1, -1).replaceAll("''", "'");
  }
  return s;
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function scalar(raw: string, source: string): unknown {
  const s = raw.trim();
  if (s.startsWith('"') || s.startsWith("'")) return unquote(s, source);
  if (s === "true") return true;
  if (s === "false") return false;
  if (s === "null" || s === "~" || s === "") return null;
  if (NUMBER_RE.test(s)) return Number(s);
  return s;
}

function parseYamlFlow(t: string): Record<string, unknown> {
  const body = t.slice(1, -1).trim();
  const out: Record<string, unknown> = {};
  if (body === "") return out;
  for (const part of splitTopLevel(body, t)) {
    if (part.trim() === "") continue;
    const m = /^\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:'"]+?)\s*:(?:\s+|$)([\s\S]*)$/.exec(part);
    if (m === null) {
      throw new FaultError(
        "E_FAULT_SPEC",
        `bad spec '${t}': expected key: value, got '${part.trim()}'`,
      );
    }
    const key = unquote(m[1]!, t);
    if (Object.hasOwn(out, key)) {
      throw new FaultError("E_FAULT_SPEC", `bad spec '${t}': key '${key}' given twice`);
    }
    out[key] = scalar(m[2]!, t);
  }
  return out;
}
