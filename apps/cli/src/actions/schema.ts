import { ClusterFileSchema } from "@vmrng/cluster";

/** The cluster file's JSON Schema, as editors and validators consume it. */
export function clusterJsonSchema(): Record<string, unknown> {
  // JSON.stringify drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  const plain = JSON.parse(JSON.stringify(ClusterFileSchema)) as Record<string, unknown>;
  return { $schema: "http://json-schema.org/draft-07/schema#", ...plain };
}

export async function runSchema(): Promise<void> {
  process.stdout.write(`${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
}
