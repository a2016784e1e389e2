/**
 * The algorithms the command line can train, by name. Each entry says which config fields
 * it has (the `train` flags are generated from them), how to resolve and validate a config,
 * how to train with checkpoints, and how to load a trained policy for `eval` and `play` on the
 * CPU. A2C and the asynchronous methods (A3C, one-step Q, one-step Sarsa, n-step Q; see
 * `async_algos.ts`) are registered here; others plug in with {@link registerAlgo}.
 *
 * @module
 */

import {
  A2C_CONFIG_KEY,
  A2C_ITERATIONS_KEY,
  loadA2cCheckpoint,
  saveA2cCheckpoint,
} from "../algos/a2c/checkpoint.ts";
import { netForEnv } from "../algos/a2c/common.ts";
import { A2C_DEFAULTS, type A2cConfig, resolveA2cConfig } from "../algos/a2c/config.ts";
import { a2cOptimizerConfig } from "../algos/a2c/optimizer.ts";
import { makeA2cRunner, trainA2c } from "../algos/a2c/train.ts";
import { ASYNC_ALGOS } from "../algos/async/config.ts";
import { envSpec } from "../envs/registry.ts";
import { makeAsyncEntry } from "./async_algos.ts";
import type { BackendChoice } from "../gpu/device.ts";
import { makeCpuPolicy } from "./policy.ts";
import type { CpuPolicy } from "./policy.ts";
import type { TrainerLogRecord } from "./run_dir.ts";
import { optimizerStateSpecs } from "../nn/optim.ts";
import { makeLayout } from "../nn/params.ts";
import { paramSpecs } from "../nn/model_spec.ts";
import { loadCheckpoint } from "../nn/safetensors.ts";

/** The config fields every algorithm has (the command line sets them by name). */
export interface RunConfig {
  /** Environment name. */
  readonly env: string;
  /** Environment options. */
  readonly envOptions: Record<string, number>;
  /** Seed. */
  readonly seed: number;
  /** Step budget. */
  readonly totalSteps: number;
  /** Backend request: auto, webgpu or cpu. */
  readonly backend: string;
  /** Iterations between log records. */
  readonly logEvery: number;
}

/** What the command line gives a trainer. */
export interface TrainSession {
  /** Where to write checkpoints (atomically; only finite parameters). */
  readonly checkpointPath: string;
  /** A checkpoint to resume from (already checked by {@link AlgoEntry.checkResume}). */
  readonly resumeFrom?: string;
  /** Stop when the mean return of the last 100 episodes reaches this. */
  readonly targetReturn?: number;
  /** Polled once per iteration; true stops the run (after a last record and checkpoint). */
  shouldStop(): boolean;
  /** Called once the backend is chosen, before training. */
  onStart(backend: BackendChoice, startSteps: number): void | Promise<void>;
  /** Called with each log record, after its checkpoint was written. */
  onLog(record: TrainerLogRecord): void | Promise<void>;
}

/** How a training run ended. */
export interface TrainOutcome {
  /** Why it stopped. */
  readonly stopReason: "budget" | "target" | "stopped";
  /** The last log record. */
  readonly last: TrainerLogRecord;
  /** The backend that ran. */
  readonly backend: BackendChoice;
}

/** One trainable algorithm. */
export interface AlgoEntry {
  /** Registry name, e.g. "a2c". */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Every config field with its default: `train` gets one kebab-case flag per field. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Help text per config field (the flag's description). */
  readonly fieldHelp: Readonly<Record<string, string>>;
  /** Defaults, preset and `overrides` merged and validated; throws a RangeError naming fields. */
  resolve(overrides: Record<string, unknown>): RunConfig;
  /**
   * Checks, before any GPU work, that the checkpoint at `path` can resume a run of `config`
   * (present, complete, same network and optimizer); throws an Error saying what is wrong.
   */
  checkResume(config: RunConfig, path: string): Promise<void>;
  /** Trains, writing a checkpoint at every log record. */
  train(config: RunConfig, session: TrainSession): Promise<TrainOutcome>;
  /** The trained policy of a checkpoint, on the CPU. */
  loadPolicy(config: RunConfig, path: string): Promise<CpuPolicy>;
}

const A2C_HELP: Record<string, string> = {
  env: "environment name",
  envOptions: "environment options",
  numEnvs: "environments stepped in lockstep (N)",
  rolloutSteps: "rollout length T, the paper's t_max",
  totalSteps: "budget in environment steps",
  gamma: "discount γ in (0, 1]",
  gaeLambda: "GAE λ in [0, 1]; 1 gives n-step returns",
  lr: "initial learning rate",
  annealLr: "anneal the learning rate linearly to 0 over the budget",
  optimizer: "rmsprop or adam",
  rmsAlpha: "RMSProp decay α",
  rmsEps: "RMSProp ε",
  rmsInit: "RMSProp mean square's start: 0 (the paper's, PyTorch's) or 1 (TensorFlow's)",
  valueCoef: "value loss coefficient",
  entropyCoef: "entropy bonus coefficient β",
  maxGradNorm: "global gradient-norm clip; 0 turns it off",
  net: "network: auto, mlp, ff (A3C conv net) or lstm",
  hidden: "MLP hidden sizes, comma-separated",
  init: "parameter init: uniform (PyTorch's default) or orthogonal (the baselines' for Atari)",
  seed: "seed of everything",
  backend: "auto, webgpu or cpu",
  logEvery: "iterations between log records and checkpoints",
};

function a2cLayout(config: A2cConfig) {
  const net = netForEnv(envSpec(config.env, config.envOptions), config);
  return { net, layout: makeLayout(paramSpecs(net)) };
}

/**
 * The A2C entry; `makeRunner` builds the runner (tests wrap it), `name` is its registry name.
 */
export function makeA2cEntry(
  makeRunner: typeof makeA2cRunner = makeA2cRunner,
  name = "a2c",
): AlgoEntry {
  return {
    name,
    summary: "synchronous advantage actor-critic (N envs in lockstep, on the GPU or the CPU)",
    defaults: A2C_DEFAULTS,
    fieldHelp: A2C_HELP,
    resolve(overrides) {
      const config = resolveA2cConfig(overrides as Partial<A2cConfig>);
      a2cLayout(config); // the env name, its options and the net, checked before any GPU work
      return config;
    },
    async checkResume(runConfig, path) {
      const config = runConfig as A2cConfig;
      const { layout } = a2cLayout(config);
      const checkpoint = await loadCheckpoint(path, layout, {
        requireExtra: optimizerStateSpecs(a2cOptimizerConfig(config), layout),
      });
      const done = Number(checkpoint.metadata[A2C_ITERATIONS_KEY]) * config.numEnvs *
        config.rolloutSteps;
      if (done >= config.totalSteps) {
        throw new RangeError(
          `resume: the run is already at step ${done} of its budget totalSteps = ` +
            `${config.totalSteps}; give a larger --steps`,
        );
      }
      const saved = checkpoint.metadata[A2C_CONFIG_KEY];
      if (saved !== undefined) {
        const was = JSON.parse(saved) as Partial<A2cConfig>;
        for (const key of ["env", "numEnvs", "rolloutSteps", "optimizer"] as const) {
          if (JSON.stringify(was[key]) !== JSON.stringify(config[key])) {
            throw new Error(
              `checkpoint: ${path}: was written with ${key} = ${JSON.stringify(was[key])}, ` +
                `the run's config.json says ${JSON.stringify(config[key])}`,
            );
          }
        }
      }
    },
    async train(runConfig, session) {
      const config = runConfig as A2cConfig;
      const built = await makeRunner(config);
      try {
        if (session.resumeFrom) await loadA2cCheckpoint(session.resumeFrom, built.runner);
        await session.onStart(
          built.backend,
          built.runner.iterations * config.numEnvs * config.rolloutSteps,
        );
        const result = await trainA2c(
          config,
          {
            async onLog(record, runner) {
              // trainA2c throws before calling onLog when anything became non-finite, so only
              // good parameters reach the checkpoint.
              await saveA2cCheckpoint(session.checkpointPath, runner, config);
              await session.onLog(record);
            },
            shouldStop: () => session.shouldStop(),
          },
          session.targetReturn,
          built,
        );
        return { stopReason: result.stopReason, last: result.last, backend: result.backend };
      } finally {
        built.runner.dispose();
      }
    },
    async loadPolicy(runConfig, path) {
      const config = runConfig as A2cConfig;
      const { net, layout } = a2cLayout(config);
      const checkpoint = await loadCheckpoint(path, layout);
      return makeCpuPolicy(net, layout, checkpoint.params);
    },
  };
}

/** A2C: synchronous advantage actor-critic (GPU or CPU backend). */
export const A2C_ENTRY: AlgoEntry = makeA2cEntry();

const ALGOS = new Map<string, AlgoEntry>([
  ["a2c", A2C_ENTRY],
  ...ASYNC_ALGOS.map((algo): [string, AlgoEntry] => [algo, makeAsyncEntry(algo)]),
]);

/** Adds (or replaces) an algorithm of the `train` command. */
export function registerAlgo(entry: AlgoEntry): void {
  ALGOS.set(entry.name, entry);
}

/** The registered algorithm names, in registration order. */
export function algoNames(): string[] {
  return [...ALGOS.keys()];
}

/** The entry of algorithm `name`; throws a RangeError listing the registered names. */
export function getAlgo(name: string): AlgoEntry {
  const entry = ALGOS.get(name);
  if (!entry) {
    throw new RangeError(
      `algo: unknown name ${JSON.stringify(name)}; allowed: ${algoNames().join(", ")}`,
    );
  }
  return entry;
}
