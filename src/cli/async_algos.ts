/**
 * The command line's entries for the asynchronous methods (A3C, one-step Q, one-step Sarsa,
 * n-step Q on Deno workers): config flags from their defaults, resume from a run folder's
 * checkpoint, log records in the shape of every other trainer, and the trained policy for
 * `eval` and `play` (greedy on Q-values for the Q family).
 *
 * @module
 */

import {
  A3C_DEFAULTS,
  ASYNC_Q_DEFAULTS,
  type AsyncAlgo,
  type AsyncConfig,
  type AsyncOverrides,
  isQAlgo,
  resolveAsyncConfig,
} from "../algos/async/config.ts";
import { readAsyncCheckpoint, TARGET_PREFIX } from "../algos/async/checkpoint.ts";
import { type AsyncLogRecord, trainAsync } from "../algos/async/coordinator.ts";
import { makeAsyncNet } from "../algos/async/learner.ts";
import type { BackendChoice } from "../gpu/device.ts";
import { loadCheckpoint } from "../nn/safetensors.ts";
import type { AlgoEntry, RunConfig } from "./algos.ts";
import { makeCpuPolicy } from "./policy.ts";
import type { TrainerLogRecord } from "./run_dir.ts";

/** Config fields the run folder sets, or test hooks: neither flags nor in config.json. */
const RUN_FOLDER_FIELDS = ["checkpointPath", "faultWorker", "faultAtStep"];
/** Config fields not offered as flags (`--algo` is the command's own). */
const HIDDEN_FIELDS = ["algo", ...RUN_FOLDER_FIELDS];

const ASYNC_HELP: Record<string, string> = {
  workers: "actor-learner Deno workers W (one CPU thread each)",
  tMax: "A3C / n-step Q: rollout length t_max; one-step Q / Sarsa: steps per shared update",
  clipRewards: "clip rewards to [-1, 1] for learning (the paper's Atari setting)",
  checkpointEvery: "async: global steps between checkpoints (0: at every log record)",
  joinTimeoutSeconds: "async: seconds to wait for workers to stop before terminating them",
  targetUpdateEvery: "Q family: global steps between target network copies (I_target)",
  epsilonAnnealSteps: "Q family: global steps over which each worker anneals ε to its final ε",
  finalEpsilons: "Q family: the final ε values a worker draws from",
  finalEpsilonProbs: "Q family: their probabilities",
};

const SUMMARY: Record<AsyncAlgo, string> = {
  "a3c": "asynchronous advantage actor-critic on Deno workers (Hogwild, shared RMSProp)",
  "one-step-q": "asynchronous one-step Q-learning on Deno workers (target network, ε-greedy)",
  "one-step-sarsa": "asynchronous one-step Sarsa on Deno workers (target network, ε-greedy)",
  "n-step-q": "asynchronous n-step Q-learning on Deno workers (target network, ε-greedy)",
};

/** The asynchronous config of a run config (the command line's `backend` field dropped). */
function asyncConfigOf(runConfig: RunConfig): AsyncConfig {
  const { backend: _backend, ...rest } = runConfig as unknown as Record<string, unknown>;
  return resolveAsyncConfig(rest as AsyncOverrides);
}

/** What the workers run on, for the run folder and the progress line. */
function cpuWorkers(config: AsyncConfig): BackendChoice {
  return {
    backend: "cpu",
    reason: `${config.workers} Deno workers on the CPU (the asynchronous methods run ` +
      "on CPU cores)",
  };
}

/** An asynchronous log record as the command line's trainer record. */
export function trainerRecord(r: AsyncLogRecord): TrainerLogRecord {
  const q = isQAlgo(r.algo);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    steps: r.globalSteps,
    episodes: r.episodes,
    wallSeconds: r.wallSeconds,
    returnMean100: r.returnMean100,
    stepsPerSecond: r.stepsPerSecond,
    newReturns: r.newReturns,
    newLengths: r.newLengths,
    policyLoss: q ? undefined : r.policyLoss,
    valueLoss: r.valueLoss,
    entropy: q ? undefined : mean(r.workerEntropyOrEpsilon),
    learningRate: r.lr,
    gradNorm: r.gradNorm,
  };
}

/** The command-line entry of asynchronous method `algo`. */
export function makeAsyncEntry(algo: AsyncAlgo): AlgoEntry {
  const base = isQAlgo(algo) ? ASYNC_Q_DEFAULTS : A3C_DEFAULTS;
  const defaults = Object.fromEntries(
    Object.entries(base).filter(([key]) => !HIDDEN_FIELDS.includes(key)),
  );
  return {
    name: algo,
    summary: SUMMARY[algo],
    defaults,
    fieldHelp: ASYNC_HELP,
    resolve(overrides) {
      const { backend = "auto", ...rest } = overrides as Record<string, unknown>;
      if (backend !== "auto" && backend !== "cpu") {
        throw new RangeError(
          `backend: got ${JSON.stringify(backend)}; ${algo} runs on CPU workers, allowed: ` +
            "auto, cpu (A2C is the GPU algorithm)",
        );
      }
      for (const key of RUN_FOLDER_FIELDS) {
        if (key in rest) {
          throw new RangeError(
            `${key}: not settable from the command line (the run folder sets it)`,
          );
        }
      }
      const config = resolveAsyncConfig({ ...rest, algo } as AsyncOverrides);
      makeAsyncNet(config); // the env, its options and the net, checked before any worker starts
      const shown = Object.entries(config).filter(([key]) => !RUN_FOLDER_FIELDS.includes(key));
      return { ...Object.fromEntries(shown), backend: "cpu" } as unknown as RunConfig;
    },
    async checkResume(runConfig, path) {
      const config = asyncConfigOf(runConfig);
      await readAsyncCheckpoint(path, config, makeAsyncNet(config).layout);
    },
    async train(runConfig, session) {
      const config = asyncConfigOf(runConfig);
      const backend = cpuWorkers(config);
      const result = await trainAsync({
        ...config,
        checkpointPath: session.checkpointPath,
        checkpointEvery: config.checkpointEvery || config.logEvery,
      }, {
        onStart: (startSteps) => session.onStart(backend, startSteps),
        onLog: (r) => session.onLog(trainerRecord(r)),
        shouldStop: () => session.shouldStop(),
        targetReturn: session.targetReturn,
        handleSigint: false, // the command line turns Ctrl-C into shouldStop
        resumeFrom: session.resumeFrom,
      });
      const stopReason = result.stopReason === "interrupted" ? "stopped" : result.stopReason;
      return { stopReason, last: trainerRecord(result.last), backend };
    },
    async loadPolicy(runConfig, path) {
      const config = asyncConfigOf(runConfig);
      const { spec, layout } = makeAsyncNet(config);
      const checkpoint = await loadCheckpoint(path, layout, {
        extraPrefixes: ["optim.", TARGET_PREFIX],
      });
      const policy = makeCpuPolicy(spec, layout, checkpoint.params);
      if (!isQAlgo(config.algo)) return policy;
      // Q-values are not logits: the learned policy is greedy in them.
      return {
        greedyOnly: true,
        makeActions: policy.makeActions,
        act: (env, obs, batch, actions, options) =>
          policy.act(env, obs, batch, actions, { ...options, greedy: true }),
      };
    },
  };
}
