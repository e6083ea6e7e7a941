export { type ArchRandom, NoArchRandom } from "./arch.js";
export { type Clock, ManualClock } from "./clock.js";
