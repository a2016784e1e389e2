/**
 * The command line's entries for the asynchronous methods (A3C, one-step Q, one-step Sarsa,
 * n-step Q on Deno workers): config flags from their field tables, resume from a run folder's
 * checkpoint, log records in the shape of every other trainer, and the trained policy for
 * `eval` and `play` (greedy on Q-values for the Q family).
 *
 * @module
 */

import {
  type AsyncAlgo,
  type AsyncConfig,
  type AsyncOverrides,
  isQAlgo,
  resolveAsyncConfig,
} from "../algos/async/config.ts";
import { A3C_FIELDS, ASYNC_Q_FIELDS } from "../algos/config_fields.ts";
import { readAsyncCheckpoint, TARGET_PREFIX } from "../algos/async/checkpoint.ts";
import { type AsyncLogRecord, trainAsync } from "../algos/async/coordinator.ts";
import { makeAsyncNet } from "../algos/async/learner.ts";
import type { BackendChoice } from "../gpu/device.ts";
import { loadCheckpoint } from "../nn/safetensors.ts";
import type { AlgoEntry } from "./algo_entry.ts";
import { makeCpuPolicy } from "./policy.ts";
import type { TrainerLogRecord } from "./run_dir.ts";

const SUMMARY: Record<AsyncAlgo, string> = {
  "a3c": "asynchronous advantage actor-critic on Deno workers (Hogwild, shared RMSProp)",
  "one-step-q": "asynchronous one-step Q-learning on Deno workers (target network, ε-greedy)",
  "one-step-sarsa": "asynchronous one-step Sarsa on Deno workers (target network, ε-greedy)",
  "n-step-q": "asynchronous n-step Q-learning on Deno workers (target network, ε-greedy)",
};

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
export function makeAsyncEntry(algo: AsyncAlgo): AlgoEntry<AsyncConfig> {
  return {
    name: algo,
    summary: SUMMARY[algo],
    fields: isQAlgo(algo) ? ASYNC_Q_FIELDS : A3C_FIELDS,
    resolve(overrides) {
      // `backend` is the command line's (every run folder's config.json may hold it).
      const { backend = "auto", ...rest } = overrides;
      if (backend !== "auto" && backend !== "cpu") {
        throw new RangeError(
          `backend: got ${JSON.stringify(backend)}; ${algo} runs on CPU workers, allowed: ` +
            "auto, cpu (A2C is the GPU algorithm)",
        );
      }
      const config = resolveAsyncConfig({ ...rest, algo } as AsyncOverrides);
      makeAsyncNet(config); // the env, its options and the net, checked before any worker starts
      return config;
    },
    async checkResume(config, path) {
      await readAsyncCheckpoint(path, config, makeAsyncNet(config).layout);
    },
    async train(config, session) {
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
    async loadPolicy(config, path) {
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
