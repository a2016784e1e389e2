/**
 * The asynchronous methods of Mnih et al. (2016) on Deno workers: A3C, one-step Q-learning,
 * one-step Sarsa and n-step Q-learning, with lock-free (Hogwild) updates of parameters and
 * shared RMSProp statistics held in `SharedArrayBuffer`s. Everything runs on the CPU twins.
 *
 * ```ts
 * import { trainAsync } from "./mod.ts";
 * const result = await trainAsync({ algo: "a3c", env: "catch", workers: 2 }, {
 *   onLog: (r) => console.log(r.globalSteps, r.returnMean100),
 * });
 * ```
 *
 * @module
 */

export {
  A3C_DEFAULTS,
  type A3cConfig,
  ASYNC_ALGOS,
  ASYNC_COMMON_DEFAULTS,
  ASYNC_PRESETS,
  ASYNC_Q_DEFAULTS,
  type AsyncAlgo,
  type AsyncCommonConfig,
  type AsyncConfig,
  type AsyncOverrides,
  type AsyncQConfig,
  breakoutCpuPreset,
  isQAlgo,
  MAX_GLOBAL_STEPS,
  pongCpuPreset,
  resolveAsyncConfig,
} from "./config.ts";
export {
  type AsyncHooks,
  type AsyncLogRecord,
  type AsyncResult,
  trainAsync,
  type WorkerFault,
} from "./coordinator.ts";
export {
  ASYNC_CONFIG_KEY,
  ASYNC_STEPS_KEY,
  type AsyncCheckpoint,
  asyncCheckpointBytes,
  loadAsyncCheckpoint,
  readAsyncCheckpoint,
  saveAsyncCheckpoint,
  TARGET_PREFIX,
} from "./checkpoint.ts";
export {
  type AsyncRunHooks,
  type AsyncRunOptions,
  type AsyncRunOutcome,
  initAsyncShared,
  runAsyncWorkers,
} from "./run.ts";
export {
  asyncOptimizerConfig,
  epsilonAt,
  evaluateGreedy,
  finalEpsilon,
  type Learner,
  type LearnerOptions,
  type LearnerProgress,
  makeAsyncNet,
  makeLearner,
  runLearner,
  workerSeed,
} from "./learner.ts";
export { asyncNetForEnv, type LearnerNet, makeCpuLearnerNet, type NetOutputs } from "./net.ts";
export {
  checkSharedState,
  Control,
  CONTROL_WORDS,
  globalSteps,
  makeSharedState,
  pushReturn,
  readNewReturns,
  requestStop,
  RETURN_RING,
  type SharedState,
  type StartMessage,
  stopRequested,
  WORKER_STAT_WORDS,
  type WorkerReply,
  WorkerStat,
  workerStat,
} from "./shared.ts";
