export { COCO_RDRAND_PANICS, cocoRdrandPanics } from "./checkers/coco-rdrand-panics.js";
export {
  CHECKER_NAMES,
  CHECKERS,
  type CheckerName,
  type RunVerdict,
  runCheckers,
} from "./checkers/index.js";
export { READY_BY_DEADLINE, readyByDeadline } from "./checkers/ready-by-deadline.js";
export {
  type CheckContext,
  type Checker,
  type CheckResult,
  DEFAULT_READY_DEADLINE_MS,
  type Violation,
} from "./checkers/types.js";
export { UNIQUE_BLOCKS, uniqueBlocks } from "./checkers/unique-blocks.js";
export { UNIQUE_BOOT_SEEDS, uniqueBootSeeds } from "./checkers/unique-boot-seeds.js";
export { VMFORK_DELIVERED, vmforkDelivered } from "./checkers/vmfork-delivered.js";
export { DurationError, formatDuration, parseDuration } from "./duration.js";
export { HistoryError, ScenarioError } from "./errors.js";
export {
  type EventRecord,
  type FaultRecord,
  formatRecord,
  type GuestFacts,
  type HistoryRecord,
  type NodeRecord,
  type OpName,
  type OpRecord,
  parseHistory,
  type RunRecord,
} from "./history.js";
export {
  DEFAULT_DURATION_MS,
  DEFAULT_READY_MS,
  DEFAULT_SEED,
  DEFAULT_WAIT_TIMEOUT_MS,
  defineScenario,
  type FaultInput,
  type FaultStep,
  formatPath,
  type Load,
  MAX_LOAD_OPS,
  MAX_RUN_MS,
  type MixEntry,
  type OpStep,
  parseScenarioYaml,
  type Scenario,
  type Step,
  validateScenario,
  validateScenarioModule,
  type WaitStep,
} from "./scenario.js";
export {
  expandSchedule,
  type PlannedFault,
  type PlannedOp,
  type PlannedStep,
  type PlannedWait,
  type PlanRandom,
} from "./schedule.js";
export { DurationSchema, type ScenarioInput, ScenarioSchema, type StepInput } from "./schema.js";
export {
  computeStats,
  LINES_PER_VIOLATION,
  type OpCounts,
  type RunStats,
  type RunSummaryJson,
  renderSummary,
  summaryJson,
  VIOLATIONS_PER_CHECKER,
} from "./summary.js";
