import { type Static, type TSchema, Type } from "@sinclair/typebox";

/**
 * The scenario file, as users write it (YAML, or the default export of a TypeScript module via
 * defineScenario). Every object is closed so a typo is an error, not a silently ignored step.
 * Published as JSON Schema by `vmrng schema scenario`: descriptions are what editors show.
 */

const MAX_DURATION_MS = 600_000;

/** `250ms`, `5s`, `2m` or a number of milliseconds. */
export const DurationSchema = Type.Union(
  [
    Type.String({ pattern: "^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m)\\s*$" }),
    Type.Number({ minimum: 0, maximum: MAX_DURATION_MS }),
  ],
  { description: 'a duration: "250ms", "5s", "2m", or a number of milliseconds' },
);

const NodeId = Type.String({
  pattern: "^[a-z][a-z0-9-]{0,31}$",
  description: "a node id: lower-case letters, digits and '-', starting with a letter",
});

const Name = Type.String({
  pattern: "^[a-z0-9-]{1,64}$",
  description: "lower-case letters, digits and '-'",
});

const CheckerName = Type.Union(
  [
    Type.Literal("unique-blocks"),
    Type.Literal("ready-by-deadline"),
    Type.Literal("coco-rdrand-panics"),
    Type.Literal("unique-boot-seeds"),
    Type.Literal("vmfork-delivered"),
  ],
  { description: "a checker name" },
);

const Len = Type.Integer({
  minimum: 1,
  maximum: 65536,
  description: "bytes to ask for",
});
/** getrandom(2) flags: GRND_NONBLOCK=1, GRND_RANDOM=2, GRND_INSECURE=4 (include/uapi/linux/random.h). */
const Flags = Type.Integer({
  minimum: 0,
  maximum: 7,
  description: "getrandom flags: GRND_NONBLOCK=1, GRND_RANDOM=2, GRND_INSECURE=4",
});
const Source = Type.Union([Type.Literal("random"), Type.Literal("urandom")], {
  description: "/dev/random (waits for READY) or /dev/urandom (never waits)",
});
const Weight = Type.Number({
  exclusiveMinimum: 0,
  maximum: 1_000_000,
  description: "relative frequency in the mix (default 1)",
});
const Repeat = Type.Integer({
  minimum: 1,
  maximum: 10_000,
  description: "how many times to run the op (default 1)",
});
const Every = Type.Optional(
  Type.Union(DurationSchema.anyOf, {
    description: "time between repeats (default 0: back to back)",
  }),
);
const At = Type.Union(DurationSchema.anyOf, {
  description: "when, from cluster-up (a duration)",
});
const Vm = Type.Union([NodeId], { description: "the guest, a clone's id included" });

const closed = <T extends Parameters<typeof Type.Object>[0]>(props: T, description: string) =>
  Type.Object(props, { additionalProperties: false, description });

/** One schedule step per op, each closed: `len` on a clone is an error, not ignored. */
export const OpStepSchemas = {
  getrandom: closed(
    {
      at: At,
      op: Type.Literal("getrandom"),
      vm: Vm,
      len: Type.Optional(Len),
      flags: Type.Optional(Flags),
      repeat: Type.Optional(Repeat),
      every: Every,
    },
    "getrandom(len, flags) in the guest (default len 32, flags 0)",
  ),
  read: closed(
    {
      at: At,
      op: Type.Literal("read"),
      vm: Vm,
      source: Type.Optional(Source),
      len: Type.Optional(Len),
      repeat: Type.Optional(Repeat),
      every: Every,
    },
    "read(2) of /dev/random or /dev/urandom in the guest (default urandom, 32 bytes)",
  ),
  clone: closed(
    {
      at: At,
      op: Type.Literal("clone"),
      vm: Vm,
      count: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: "default 1" })),
      ids: Type.Optional(
        Type.Array(NodeId, {
          minItems: 1,
          maxItems: 16,
          uniqueItems: true,
          description: "the clones' ids (default <vm>-c1, <vm>-c2, … numbered per parent)",
        }),
      ),
      snapshot: Type.Optional(
        Type.Union([NodeId], { description: "clone from this snapshot (default: one taken now)" }),
      ),
    },
    "start new VMs from a snapshot of vm, each with a fresh vmgenid",
  ),
  kexec: closed(
    { at: At, op: Type.Literal("kexec"), vm: Vm },
    "kexec the guest into a new kernel, with a fresh setup_data seed",
  ),
  snapshot: closed(
    {
      at: At,
      op: Type.Literal("snapshot"),
      vm: Vm,
      snapshot: Type.Optional(
        Type.Union([NodeId], { description: "the snapshot's name (default: picked)" }),
      ),
    },
    "snapshot the guest (paused for the copy, then resumed)",
  ),
  restore: closed(
    {
      at: At,
      op: Type.Literal("restore"),
      vm: Vm,
      snapshot: Type.Union([NodeId], { description: "the snapshot to restore" }),
    },
    "replace the guest's running state with a snapshot",
  ),
  status: closed(
    { at: At, op: Type.Literal("status"), vm: Vm },
    "ask the guest's status (entropy_avail, crng_init)",
  ),
} as const;

export const FaultStepSchema = closed(
  {
    at: At,
    fault: Type.Union(
      [
        Type.String({ minLength: 1, maxLength: 1024, description: "KIND or KIND:key=value,…" }),
        Type.Object(
          { kind: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: true, description: "{kind, ...params}" },
        ),
      ],
      {
        description:
          'a fault SPEC ("latency:latencyMs=200", "virtio.zeros") or {kind, ...params}; validated by @vmrng/faults',
      },
    ),
    target: Type.String({
      minLength: 1,
      maxLength: 128,
      description: "a node id, role:guest, role:hypervisor, all, random, random:guest…",
    }),
    for: Type.Optional(
      Type.Union(DurationSchema.anyOf, {
        description: "remove the fault after this long (default: until the run ends)",
      }),
    ),
  },
  "inject a fault",
);

export const WaitStepSchema = closed(
  {
    at: At,
    wait: closed(
      {
        event: Type.String({
          pattern: "^[a-z][a-z0-9._-]{0,63}$",
          description: "an event kind (init-state, vmfork, panic, vm.state…)",
        }),
        node: Type.Optional(NodeId),
        timeout: Type.Optional(
          Type.Union(DurationSchema.anyOf, {
            description: "give up after this long (default 10s)",
          }),
        ),
      },
      "the event to wait for",
    ),
  },
  "hold the schedule until an event is seen (or the timeout passes: recorded as info)",
);

const Step = Type.Union(
  [...Object.values(OpStepSchemas), FaultStepSchema, WaitStepSchema] as TSchema[],
  { description: "a timed step: an op, a fault or a wait" },
);

const MixEntry = Type.Union(
  [
    closed(
      {
        op: Type.Literal("getrandom"),
        len: Type.Optional(Len),
        flags: Type.Optional(Flags),
        weight: Type.Optional(Weight),
      },
      "getrandom(len, flags) (default len 32, flags 0)",
    ),
    closed(
      {
        op: Type.Literal("read"),
        source: Type.Optional(Source),
        len: Type.Optional(Len),
        weight: Type.Optional(Weight),
      },
      "a read of /dev/random or /dev/urandom (default urandom, 32 bytes)",
    ),
  ],
  { description: "one kind of load op" },
);

export const LoadSchema = closed(
  {
    clients: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description: "concurrent client processes (default 1)",
      }),
    ),
    rate: Type.Number({
      exclusiveMinimum: 0,
      maximum: 10_000,
      description: "ops per second over all clients",
    }),
    targets: Type.Optional(
      Type.Union(
        [
          Type.Literal("guests"),
          Type.Array(NodeId, { minItems: 1, maxItems: 256, uniqueItems: true }),
        ],
        {
          description: '"guests" (every running guest, clones included; default) or a list of ids',
        },
      ),
    ),
    mix: Type.Optional(
      Type.Array(MixEntry, {
        minItems: 1,
        maxItems: 32,
        description: "what the clients do, weighted (default: getrandom 32 bytes, flags 0)",
      }),
    ),
  },
  "background client load, drawn from the run's seed",
);

export const ScenarioSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: "for editors" })),
    name: Name,
    description: Type.Optional(
      Type.String({ maxLength: 4096, description: "what the scenario demonstrates" }),
    ),
    cluster: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "an inline cluster file (checked by the cluster schema); or use clusterFile",
      }),
    ),
    clusterFile: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: "a cluster file, relative to the scenario file; or use cluster",
      }),
    ),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 0xffff_ffff,
        description: "default seed (default 1); `vmrng run --seed N` overrides",
      }),
    ),
    duration: Type.Optional(
      Type.Union(DurationSchema.anyOf, {
        description: "run time after the cluster is up (default 10s, at most 10m)",
      }),
    ),
    deadlines: Type.Optional(
      closed(
        {
          readyMs: Type.Optional(
            Type.Union(DurationSchema.anyOf, {
              description: "ready-by-deadline: from a guest's start to READY (default 30s)",
            }),
          ),
        },
        "deadlines the checkers apply",
      ),
    ),
    load: Type.Optional(LoadSchema),
    schedule: Type.Optional(
      Type.Array(Step, { maxItems: 10_000, description: "timed steps, `at` from cluster-up" }),
    ),
    expect: Type.Optional(
      closed(
        {
          violations: Type.Optional(
            Type.Array(CheckerName, {
              uniqueItems: true,
              description: "the checkers that MUST fail (default none)",
            }),
          ),
        },
        "what the run must show",
      ),
    ),
  },
  {
    additionalProperties: false,
    $id: "https://vmrng.dev/schema/scenario.json",
    title: "vmrng scenario",
    description:
      "A vmrng scenario: a cluster, a seeded schedule of ops and faults, optional load, and the checkers expected to fail. Give exactly one of cluster and clusterFile.",
  },
);

export type OpStepInput = Static<(typeof OpStepSchemas)[keyof typeof OpStepSchemas]>;
export type FaultStepInput = Static<typeof FaultStepSchema>;
export type WaitStepInput = Static<typeof WaitStepSchema>;
export type StepInput = OpStepInput | FaultStepInput | WaitStepInput;
export type LoadInput = Static<typeof LoadSchema>;
/** A scenario as written: what defineScenario() types. */
export type ScenarioInput = Omit<Static<typeof ScenarioSchema>, "schedule"> & {
  schedule?: StepInput[];
};
